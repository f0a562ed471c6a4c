// The reference kiosk page: the kiosk key and a scanned badge open a session on the token server
// (POST /v1/kiosk/sessions), then the page joins the LiveKit room with its microphone, plays Jarvis's voice, shows
// Jarvis's state (`lk.agent.state`), the live transcript (`lk.transcription`) and the videos Jarvis sends
// (RPC `jarvis.display_video`). Bundled with livekit-client by esbuild (npm run build) into static/vendor/kiosk.js.
import {
  ConnectionError, ConnectionErrorReason, LogLevel, MediaDeviceFailure, ParticipantKind, Room, RoomEvent, RpcError,
  Track, createLocalAudioTrack, setLogLevel,
} from "livekit-client";

import { TRANSCRIPTION_TOPIC, Transcript } from "./transcript.js";
import { hideVideo, parseVideoPayload, showVideo } from "./video.js";

export const DISPLAY_VIDEO = "jarvis.display_video";
const AGENT_STATE = "lk.agent.state";
const KEY_STORAGE = "jarvis.kioskKey";
const STATES = {
  initializing: "Jarvis arrive…", idle: "Jarvis est prêt", listening: "Jarvis t'écoute",
  thinking: "Jarvis réfléchit…", speaking: "Jarvis parle",
};
const REASONS = { no_badge: "sans badge", unknown_badge: "badge inconnu", inactive_badge: "abonnement inactif" };

const $ = (id) => document.getElementById(id);
const video = { root: $("video"), title: $("video-title"), duration: $("video-duration"), player: $("video-player"),
  frame: $("video-frame") };
const transcript = new Transcript($("transcript"));
let current = null;  // {room, microphone, connected} of the session under way
const CANCELLED = Symbol("cancelled");

/** An error the page shows: a French sentence, and a detail for whoever installs the kiosk. */
class KioskError extends Error {
  constructor(message, detail = "") {
    super(message);
    this.detail = detail;
  }
}

// --- RPC from Jarvis ------------------------------------------------------------------------------------------------

/** `jarvis.display_video`: shows the video; answers JSON, or an RPC error the agent turns into a spoken excuse. */
export async function onDisplayVideo(data) {
  let parsed;
  try {
    parsed = parseVideoPayload(data.payload);
  } catch (error) {
    throw new RpcError(RpcError.ErrorCode.APPLICATION_ERROR, `invalid video: ${error.message}`);
  }
  showVideo(video, parsed);
  return JSON.stringify({ shown: true, video_id: parsed.videoId });
}

/** Every RPC method the page answers, registered as is on each room (and reachable by tests, by method name). */
export const rpcHandlers = { [DISPLAY_VIDEO]: onDisplayVideo };

// --- UI -------------------------------------------------------------------------------------------------------------

function setStatus(state, text) {
  document.body.dataset.status = state;
  $("status").textContent = text;
}

function showError(error) {
  $("error-message").textContent = error.message;
  $("error-detail").textContent = error.detail ?? "";
  $("error").hidden = false;
}

function setBusy(connected) {
  $("connect").hidden = connected;
  $("disconnect").hidden = !connected;
  $("kiosk-key").disabled = $("badge").disabled = connected;
}

function showAgentState(state) {
  $("agent-state").dataset.state = state ?? "waiting";
  $("agent-state").textContent = state ? (STATES[state] ?? state) : "En attente de Jarvis…";
}

// --- Token server ---------------------------------------------------------------------------------------------------

async function openSession(kioskKey, badge) {
  let response;
  try {
    response = await fetch("/v1/kiosk/sessions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Kiosk-Key": kioskKey },
      body: JSON.stringify({ badge_id: badge || null }),
    });
  } catch {
    throw new KioskError("Le serveur Jarvis est injoignable. Vérifie le réseau de la borne.");
  }
  const body = await response.json().catch(() => null);
  if (response.ok) return body;
  // problem+json: a French title, sometimes a detail; 429 says when to retry
  const retry = response.headers.get("Retry-After");
  const detail = [body?.detail, retry && `Réessaie dans ${retry} s.`].filter(Boolean).join(" ");
  throw new KioskError(body?.title ?? `Le serveur Jarvis a répondu ${response.status}.`, detail);
}

// --- LiveKit --------------------------------------------------------------------------------------------------------

async function openMicrophone() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new KioskError("Le micro n'est accessible que sur une page en HTTPS (ou sur localhost).");
  }
  try {
    return await createLocalAudioTrack({ echoCancellation: true, noiseSuppression: true, autoGainControl: true });
  } catch (error) {
    const failure = MediaDeviceFailure.getFailure(error);
    const messages = {
      [MediaDeviceFailure.PermissionDenied]: "Micro refusé : autorise le micro pour cette page dans le navigateur de la borne, puis réessaie.",
      [MediaDeviceFailure.NotFound]: "Aucun micro n'est branché sur la borne.",
      [MediaDeviceFailure.DeviceInUse]: "Le micro est déjà utilisé par une autre application.",
    };
    throw new KioskError(messages[failure] ?? "Le micro n'a pas pu être ouvert.", error?.message ?? "");
  }
}

function livekitError(error, serverUrl) {
  if (error instanceof ConnectionError && error.reason === ConnectionErrorReason.NotAllowed) {
    return new KioskError("Le serveur LiveKit a refusé la session.",
      `${serverUrl} : ${error.message} (les clés LiveKit du serveur de jetons sont-elles celles de ce serveur ?)`);
  }
  return new KioskError("Impossible de joindre le serveur LiveKit : la conversation ne peut pas démarrer.",
    `${serverUrl} : ${error?.message ?? error}`);
}

function agentOf(room) {
  return [...room.remoteParticipants.values()].find((p) => p.kind === ParticipantKind.AGENT
    || AGENT_STATE in p.attributes);
}

function newRoom() {
  const room = new Room({ adaptiveStream: false, dynacast: false });
  for (const [method, handler] of Object.entries(rpcHandlers)) room.registerRpcMethod(method, handler);
  room.registerTextStreamHandler(TRANSCRIPTION_TOPIC, (reader, sender) => {
    transcript.receive(reader, sender, room.localParticipant.identity).catch(() => {});
  });
  room
    .on(RoomEvent.ParticipantAttributesChanged, (changed, participant) => {
      if (AGENT_STATE in changed) showAgentState(participant.attributes[AGENT_STATE]);
    })
    .on(RoomEvent.ParticipantConnected, () => showAgentState(agentOf(room)?.attributes[AGENT_STATE]))
    .on(RoomEvent.ParticipantDisconnected, (participant) => {
      // Jarvis leaves when the conversation is over (goodbye, walk-away, time cap): the kiosk leaves too
      if (participant.kind === ParticipantKind.AGENT && current?.room === room) endSession("Conversation terminée.");
    })
    .on(RoomEvent.TrackSubscribed, (track) => {
      if (track.kind === Track.Kind.Audio) $("audio").append(track.attach());
    })
    .on(RoomEvent.TrackUnsubscribed, (track) => track.detach().forEach((element) => element.remove()))
    .on(RoomEvent.AudioPlaybackStatusChanged, () => { $("start-audio").hidden = room.canPlaybackAudio; })
    .on(RoomEvent.Disconnected, () => {
      if (current?.room === room && current.connected) endSession("Conversation terminée.");
    });
  return room;
}

// --- Session --------------------------------------------------------------------------------------------------------

async function startSession(event) {
  event.preventDefault();
  const kioskKey = $("kiosk-key").value.trim();
  const badge = $("badge").value.trim();
  localStorage.setItem(KEY_STORAGE, kioskKey);
  $("error").hidden = true;
  $("session").hidden = true;
  transcript.clear();
  hideVideo(video);
  setBusy(true);
  const session = { room: null, microphone: null, connected: false };
  current = session;
  const stillCurrent = () => { if (current !== session) throw CANCELLED; };
  try {
    setStatus("connecting", "Ouverture du micro…");
    session.microphone = await openMicrophone();  // before the session: no session row for a kiosk without a micro
    stillCurrent();
    setStatus("connecting", "Ouverture de la session…");
    const opened = await openSession(kioskKey, badge);
    stillCurrent();
    showSession(opened);
    setStatus("connecting", "Connexion à Jarvis…");
    session.room = newRoom();
    try {
      await session.room.connect(opened.server_url, opened.participant_token);
    } catch (error) {
      stillCurrent();
      throw livekitError(error, opened.server_url);
    }
    stillCurrent();
    session.connected = true;
    await session.room.localParticipant.publishTrack(session.microphone);
    await session.room.startAudio().catch(() => {});
    $("badge").value = "";
    showAgentState(agentOf(session.room)?.attributes[AGENT_STATE]);
    setStatus("connected", "En conversation");
  } catch (error) {
    if (current !== session) {  // the session was ended meanwhile (Terminer)
      await release(session);
      return;
    }
    await endSession("Hors ligne");
    showError(error instanceof KioskError ? error : new KioskError("Erreur inattendue.", String(error)));
    setStatus("error", "Erreur");
  }
}

function showSession(opened) {
  const who = opened.visitor ? `visiteur (${REASONS[opened.visitor_reason] ?? opened.visitor_reason})` : "membre";
  $("session-info").textContent = `Salle ${opened.gym_slug} · ${who} · session ${opened.session_id}`;
  document.body.dataset.sessionId = opened.session_id;
  showAgentState(null);
  $("agent-state").hidden = false;
  $("session").hidden = false;
}

async function release(session) {
  session.microphone?.stop();
  if (session.room) await session.room.disconnect().catch(() => {});
}

async function endSession(statusText) {
  const session = current;
  current = null;
  setBusy(false);
  setStatus("offline", statusText);
  hideVideo(video);
  $("start-audio").hidden = true;
  $("agent-state").hidden = true;
  if (!session) return;
  await release(session);
  $("audio").replaceChildren();
  if (session.connected) {  // the next member at the kiosk does not read this conversation
    transcript.clear();
    $("session").hidden = true;
  }
}

function init() {
  $("not-built").remove();
  setLogLevel(LogLevel.warn);
  $("kiosk-key").value = localStorage.getItem(KEY_STORAGE) ?? "";
  $("session-form").addEventListener("submit", startSession);
  $("disconnect").addEventListener("click", () => endSession("Conversation terminée."));
  $("video-close").addEventListener("click", () => hideVideo(video));
  $("video-player").addEventListener("ended", () => hideVideo(video));
  $("start-audio").addEventListener("click", () => current?.room?.startAudio());
  (localStorage.getItem(KEY_STORAGE) ? $("badge") : $("kiosk-key")).focus();
  setStatus("offline", "Hors ligne");
  document.body.dataset.ready = "true";
}

window.jarvisKiosk = { rpcHandlers };  // for the page's tests, and whoever wires extra UI around the kiosk
init();
