// The exercise video Jarvis shows on the mirror (RPC `jarvis.display_video`): a <video> for a file, an <iframe> for a
// YouTube or Vimeo page (their privacy-friendly embed hosts, the only frames the page's CSP allows).

const YOUTUBE_HOSTS = new Set(["youtube.com", "www.youtube.com", "m.youtube.com", "youtube-nocookie.com",
  "www.youtube-nocookie.com"]);
const YOUTUBE_ID = /^[A-Za-z0-9_-]{6,20}$/;

/** The payload the agent sends (jarvis_agent/kiosk.py): {video_id, title, url, thumbnail_url, duration_seconds}. */
export function parseVideoPayload(payload) {
  let video;
  try {
    video = JSON.parse(payload);
  } catch {
    throw new Error("payload is not JSON");
  }
  if (!video || typeof video !== "object") throw new Error("payload is not an object");
  const url = httpUrl(video.url);
  if (!url) throw new Error("url must be an http(s) URL");
  return {
    videoId: video.video_id ?? null,
    title: typeof video.title === "string" && video.title.trim() ? video.title.trim() : "Vidéo",
    url,
    thumbnailUrl: httpUrl(video.thumbnail_url),
    durationSeconds: Number.isFinite(video.duration_seconds) ? video.duration_seconds : null,
  };
}

function httpUrl(value) {
  if (typeof value !== "string") return null;
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
  } catch {
    return null;
  }
}

/** The embeddable player of a YouTube or Vimeo page, or null for a plain video file. */
export function embedUrl(href) {
  const url = new URL(href);
  const host = url.hostname.toLowerCase();
  let id = null;
  if (YOUTUBE_HOSTS.has(host)) {
    const [, first, second] = url.pathname.split("/");
    id = first === "watch" ? url.searchParams.get("v") : ["embed", "shorts", "live"].includes(first) ? second : null;
  } else if (host === "youtu.be") {
    id = url.pathname.split("/")[1];
  } else if (host === "vimeo.com" || host === "www.vimeo.com" || host === "player.vimeo.com") {
    const vimeo = /(\d{3,12})(?:\/|$)/.exec(url.pathname);
    return vimeo ? `https://player.vimeo.com/video/${vimeo[1]}?autoplay=1` : null;
  }
  return id && YOUTUBE_ID.test(id) ? `https://www.youtube-nocookie.com/embed/${id}?autoplay=1&rel=0` : null;
}

function duration(seconds) {
  if (seconds == null || seconds <= 0) return "";
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  return minutes ? `${minutes} min${rest ? ` ${rest} s` : ""}` : `${rest} s`;
}

/** Show `video` (from parseVideoPayload) in the panel's elements; the one shown before is replaced. */
export function showVideo(panel, video) {
  hideVideo(panel);
  panel.title.textContent = video.title;
  panel.duration.textContent = duration(video.durationSeconds);
  const embed = embedUrl(video.url);
  if (embed) {
    panel.frame.title = video.title;
    panel.frame.src = embed;
    panel.frame.hidden = false;
  } else {
    if (video.thumbnailUrl) panel.player.poster = video.thumbnailUrl;
    panel.player.src = video.url;
    panel.player.hidden = false;
    panel.player.play().catch(() => {});  // autoplay refused: the controls are there
  }
  panel.root.dataset.videoId = video.videoId ?? "";
  panel.root.hidden = false;
}

export function hideVideo(panel) {
  panel.root.hidden = true;
  panel.player.pause();
  panel.player.removeAttribute("src");
  panel.player.removeAttribute("poster");
  panel.player.load();  // releases the file
  panel.player.hidden = true;
  panel.frame.removeAttribute("src");
  panel.frame.hidden = true;
}
