/**
 * The shard of a job id: 32-bit FNV-1a over the id's UTF-8 bytes, modulo the
 * shard count. Stable across processes and versions: changing it would strand
 * every stored job, so it is part of the storage format.
 */
export function shardOf(id: string, shards: number): number {
  if (shards === 1) return 0;
  // Every push, pop hint and finish hashes its id: ASCII ids (the usual ones) are their
  // own UTF-8 bytes, so they skip the Buffer.
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code >= 0x80) return fnvUtf8(id) % shards;
    hash = Math.imul(hash ^ code, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

function fnvUtf8(id: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(id, "utf8")) hash = Math.imul(hash ^ byte, 0x01000193);
  return hash >>> 0;
}
