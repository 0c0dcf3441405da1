/** Appends to the list under `key`, creating it: O(1) per call (no copying). */
export function pushTo<K, V>(m: Map<K, V[]>, key: K, v: V): void {
  const l = m.get(key);
  if (l) l.push(v);
  else m.set(key, [v]);
}
