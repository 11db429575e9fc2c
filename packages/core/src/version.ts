/** The de2 release, sent in the handshake (for messages; compatibility is PROTOCOL_VERSION's). */
export const DE2_VERSION = '0.1.0';
