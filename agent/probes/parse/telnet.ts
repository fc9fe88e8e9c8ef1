// Reads a Telnet server's first bytes: separates option negotiation (IAC sequences) from the banner text.
// Follows RFC 854 (commands, IAC escaping) and RFC 855 (subnegotiation); the banner is trimmed as telnet_banners.xml expects.

export const IAC = 255;
const DONT = 254;
const DO = 253;
const WONT = 252;
const WILL = 251;
const SB = 250;
const SE = 240;

export interface TelnetCommand {
  /** WILL, WONT, DO, DONT, SB or another two-byte command code. */
  command: number;
  option?: number;
}

export interface TelnetBanner {
  /** The data bytes with every IAC sequence removed (IAC IAC kept as one 255 byte). */
  data: Uint8Array;
  /** telnet_banners input: the data with CR, LF and whitespace trimmed at both ends. */
  banner: Uint8Array;
  commands: TelnetCommand[];
  /** A subnegotiation or command was cut off by the end of the bytes. */
  truncated: boolean;
}

export function parseTelnet(bytes: Uint8Array): TelnetBanner {
  const data: number[] = [];
  const commands: TelnetCommand[] = [];
  let truncated = false;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b !== IAC) {
      data.push(b);
      i++;
      continue;
    }
    const cmd = bytes[i + 1];
    if (cmd === undefined) {
      truncated = true;
      break;
    }
    if (cmd === IAC) {
      data.push(IAC);
      i += 2;
    } else if (cmd >= WILL && cmd <= DONT) {
      const option = bytes[i + 2];
      if (option === undefined) {
        truncated = true;
        break;
      }
      commands.push({ command: cmd, option });
      i += 3;
    } else if (cmd === SB) {
      const option = bytes[i + 2];
      // Subnegotiation runs to IAC SE; an IAC IAC inside it is data of the subnegotiation.
      let j = i + 3;
      while (j < bytes.length && !(bytes[j] === IAC && bytes[j + 1] === SE)) j += bytes[j] === IAC ? 2 : 1;
      const c: TelnetCommand = { command: SB };
      if (option !== undefined) c.option = option;
      commands.push(c);
      if (j >= bytes.length) {
        truncated = true;
        break;
      }
      i = j + 2;
    } else {
      commands.push({ command: cmd });
      i += 2;
    }
  }
  const all = Uint8Array.from(data);
  return { data: all, banner: trimBanner(all), commands, truncated };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0b || b === 0x0c || b === 0x0d || b === 0x00;
}

function trimBanner(data: Uint8Array): Uint8Array {
  let start = 0;
  let end = data.length;
  while (start < end && isSpace(data[start]!)) start++;
  while (end > start && isSpace(data[end - 1]!)) end--;
  return data.subarray(start, end);
}

/**
 * The replies that refuse every option the server asked about (WONT to DO,
 * DONT to WILL): many servers hold the login banner back until each
 * negotiation is answered.
 */
export function refuseOptions(commands: TelnetCommand[]): Uint8Array {
  const out: number[] = [];
  for (const c of commands) {
    if (c.option === undefined) continue;
    if (c.command === DO) out.push(IAC, WONT, c.option);
    else if (c.command === WILL) out.push(IAC, DONT, c.option);
  }
  return Uint8Array.from(out);
}
