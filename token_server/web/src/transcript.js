// The live transcript: LiveKit text streams on topic `lk.transcription`, one line per segment (`lk.segment_id`).
// The agent streams its sentence as deltas in one stream; the member's speech comes as a new stream per interim
// result carrying the whole text so far, the last one flagged `lk.transcription_final`.

export const TRANSCRIPTION_TOPIC = "lk.transcription";
const SEGMENT_ID = "lk.segment_id";
const FINAL = "lk.transcription_final";
const MAX_LINES = 40;

export class Transcript {
  constructor(list) {
    this.list = list;
    this.lines = new Map();
  }

  clear() {
    this.lines.clear();
    this.list.replaceChildren();
  }

  /** A text stream handler: `localIdentity` is the kiosk's own identity (the member's speech is sent under it). */
  async receive(reader, sender, localIdentity) {
    const attributes = reader.info.attributes ?? {};
    const segment = attributes[SEGMENT_ID] ?? reader.info.id;
    const line = this.line(segment, sender.identity === localIdentity ? "member" : "agent");
    if (line.dataset.final === "true") return;  // a late interim after the final text
    let text = "";
    for await (const chunk of reader) {
      text += chunk;
      line.lastChild.textContent = text;
      this.list.scrollTop = this.list.scrollHeight;
    }
    const final = (reader.info.attributes ?? attributes)[FINAL] === "true";
    if (final || line.dataset.speaker === "agent") line.dataset.final = "true";  // an agent stream ends its segment
  }

  line(segment, speaker) {
    let line = this.lines.get(segment);
    if (!line) {
      line = document.createElement("li");
      line.dataset.speaker = speaker;
      line.dataset.final = "false";
      const who = document.createElement("b");
      who.textContent = speaker === "agent" ? "Jarvis" : "Toi";
      line.append(who, document.createElement("span"));
      this.lines.set(segment, line);
      this.list.append(line);
      while (this.lines.size > MAX_LINES) {
        const [oldest, node] = this.lines.entries().next().value;
        this.lines.delete(oldest);
        node.remove();
      }
    }
    return line;
  }
}
