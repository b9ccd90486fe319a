/** The one guard for "a JSON object": not null, not an array. T narrows it where the caller knows the shape. */
export function isRecord<T extends object = Record<string, unknown>>(value: unknown): value is T {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
