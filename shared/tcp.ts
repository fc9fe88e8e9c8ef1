// TCP header flag bits (RFC 793, RFC 3168 for ECE/CWR), shared by the agent's
// packet builders and the collector's OS-fingerprint parsers.
export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;
export const TCP_URG = 0x20;
export const TCP_ECE = 0x40;
export const TCP_CWR = 0x80;
