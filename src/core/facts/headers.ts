/** HTTP header names the appliance's parts agree on. */

/** Set by nginx (always overwriting what the client sent) to the authenticated key's name; never the key. */
export const KEY_NAME_HEADER = 'X-SLM-Key-Name';
