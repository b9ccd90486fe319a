/** HTTP header names the appliance's parts agree on. */

/** Set by nginx (always overwriting what the client sent) to the authenticated key's name; never the key. */
export const KEY_NAME_HEADER = 'X-SLM-Key-Name';
/**
 * Sent by a OneFlow service's front to its workers with the service secret (ONEAPP_COPILOT_SERVICE_SECRET): a
 * worker's nginx trusts the key-name header only with it, and only from the front's address.
 */
export const SERVICE_SECRET_HEADER = 'X-SLM-Service-Secret';
