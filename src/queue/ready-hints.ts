/** Most topics remembered; past it everything is forgotten, which only costs looks. */
const maxTopics = 10_000;

interface TopicHints {
  /** Bumped by every piece of news about the topic. */
  version: number;
  /** Shards a look found without a ready job of the topic, with no news since. */
  empty: Set<number>;
}

/**
 * Which shards a pop of one topic need not look in: those a look found
 * empty, with no news of a ready job of that topic since. Every transition
 * that makes a job ready announces it (or, in this process, tells the
 * waiters), so the hint is dropped as soon as a job may be there; news still
 * in flight when a pop skips a shard wakes that pop, parked before it looked,
 * as it would after a look. A reconnect, which may have lost news, forgets
 * everything.
 */
export class ReadyHints {
  private readonly topics = new Map<string, TopicHints>();

  /** Taken before a look: what {@link lookedEmpty} needs to know that no news came meanwhile. */
  version(topic: string): number {
    return (this.topics.get(topic) ?? this.create(topic)).version;
  }

  isEmpty(topic: string, shard: number): boolean {
    return this.topics.get(topic)?.empty.has(shard) ?? false;
  }

  /** A look begun at `version` found no ready job of `topic` in `shard`. */
  lookedEmpty(topic: string, shard: number, version: number): void {
    const hints = this.topics.get(topic);
    if (hints?.version === version) hints.empty.add(shard);
  }

  /** News: `topic` may have ready jobs (in `shard`, or anywhere when not known). */
  news(topic: string, shard?: number): void {
    const hints = this.topics.get(topic);
    if (!hints) return;
    hints.version++;
    if (shard === undefined) hints.empty.clear();
    else hints.empty.delete(shard);
  }

  forgetAll(): void {
    this.topics.clear();
  }

  private create(topic: string): TopicHints {
    // Forgetting drops versions too: a look in progress then finds none and marks nothing.
    if (this.topics.size >= maxTopics) this.topics.clear();
    const hints = { version: 0, empty: new Set<number>() };
    this.topics.set(topic, hints);
    return hints;
  }
}
