/**
 * The shard of a job id: 32-bit FNV-1a over the id's UTF-8 bytes, modulo the
 * shard count. Stable across processes and versions: changing it would strand
 * every stored job, so it is part of the storage format.
 */
export function shardOf(id: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  const bytes = Buffer.from(id, "utf8");
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
