#include "sim/hardware/batching_replica.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace collabsim {

BatchingReplica::BatchingReplica(Engine& engine, const ModelCard& model, const DeviceSpec& device,
                                 const LatencyModel& latency, BatchingConfig cfg)
    : engine_(engine), model_(model), dev_(device), latency_(latency), cfg_(cfg) {
  if (cfg_.prefix_block_tokens > 0)
    cache_ = std::make_unique<PrefixCache>(cfg_.prefix_block_tokens, model_.kv_bytes_per_token());
}

Task<Generation> BatchingReplica::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  return generate(prompt, output, cached, {});
}

Task<Generation> BatchingReplica::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                           std::span<const std::int64_t> blocks) {
  Seq s;
  if (cache_) s.blocks = blocks;
  s.prompt = std::max<std::int64_t>(prompt, 0);
  s.output = std::max<std::int64_t>(output, 0);
  s.cached = std::max<std::int64_t>(cached, 0);
  s.g.queued = engine_.now();
  s.g.prompt_tokens = s.prompt;
  s.g.output_tokens = s.output;
  s.full_prompt = s.prompt;
  waiting_.push_back(&s);
  if (!looping_) {
    looping_ = true;
    engine_.spawn(loop());
  }
  co_await Wait{s};
  co_return s.g;
}

bool BatchingReplica::admit_cached(Seq* s, double need) {
  const std::size_t m = cache_->match(s->blocks);
  const std::int64_t h = std::min<std::int64_t>(static_cast<std::int64_t>(m) * cache_->block_tokens(),
                                                std::max<std::int64_t>(s->prompt - 1, 0));
  const double own = need - model_.kv_bytes_per_token() * static_cast<double>(h);  // hit blocks are the cache's
  cache_->pin(s->blocks, m);
  const double over = kv_used_ + cache_->bytes() + own - cfg_.kv_capacity;
  if (over > 0 && cache_->evict(over) < over) {
    cache_->unpin(s->blocks, m);
    return false;
  }
  s->pinned = m;
  s->kv_reserved = own;
  kv_used_ += own;
  s->prompt -= h;
  s->cached += h;
  s->g.prefix_hit_tokens = h;
  prefix_prompt_ += s->full_prompt;
  prefix_hit_ += h;
  return true;
}

void BatchingReplica::cache_prompt(Seq* s) {
  // The computed blocks move from the sequence's reservation to the cache (pinned).
  const std::int64_t b = cache_->block_tokens();
  for (std::size_t i = s->pinned; i < s->blocks.size(); ++i) {
    const std::int64_t tokens = std::min<std::int64_t>(b, s->full_prompt - static_cast<std::int64_t>(i) * b);
    if (tokens <= 0) break;
    const double added = std::min(cache_->insert_pinned(s->blocks[i], tokens), s->kv_reserved);
    s->kv_reserved -= added;
    kv_used_ -= added;
    s->pinned = i + 1;
  }
}

void BatchingReplica::complete(Seq* s) {
  s->g.end = engine_.now();
  if (cache_) cache_->unpin(s->blocks, s->pinned);
  kv_used_ -= s->kv_reserved;
  engine_.schedule(engine_.now(), s->waiter);
}

Task<void> BatchingReplica::loop() {
  const double kv_tok = model_.kv_bytes_per_token();
  while (!waiting_.empty() || !running_.empty()) {
    // Admit FCFS while the batch and the KV cache have room.
    while (!waiting_.empty() && static_cast<int>(running_.size()) < cfg_.max_batch) {
      Seq* s = waiting_.front();
      const double need = kv_tok * static_cast<double>(s->cached + s->prompt + s->output);
      if (need > cfg_.kv_capacity) {  // can never fit
        waiting_.pop_front();
        s->g.failed = true;
        s->g.start = engine_.now();
        complete(s);
        continue;
      }
      if (cache_) {
        if (!admit_cached(s, need)) break;  // head of line waits for memory
        waiting_.pop_front();
      } else {
        if (kv_used_ + need > cfg_.kv_capacity) break;  // head of line waits for memory
        waiting_.pop_front();
        s->kv_reserved = need;
        kv_used_ += need;
      }
      s->g.start = engine_.now();
      running_.push_back(s);
    }
    if (running_.empty()) continue;  // only failures were drained

    // Build one iteration.
    std::int64_t budget = cfg_.max_prefill_tokens > 0 ? cfg_.max_prefill_tokens
                                                      : std::numeric_limits<std::int64_t>::max();
    IterationLoad load;
    double tokens = 0;
    for (Seq* s : running_) {
      s->chunk = 0;
      if (s->prefilled < s->prompt) {
        const std::int64_t n = std::min(s->prompt - s->prefilled, budget);
        if (n == 0) continue;  // starved by the chunked-prefill budget this iteration
        budget -= n;
        s->chunk = n;
        const double nn = static_cast<double>(n), o = static_cast<double>(s->cached + s->prefilled);
        ++load.prefill_seqs;
        load.prefill_tokens += nn;
        load.prefill_attention += nn * (o + nn / 2.0);
        load.prefill_kv_tokens += o + nn;
        tokens += nn;
      } else {
        ++load.decode_seqs;
        load.decode_context += static_cast<double>(s->cached + s->prompt + s->generated);
        tokens += 1.0;
      }
    }
    if (tokens == 0) {
      // Every running sequence is a prefill starved by a zero budget: cannot happen with
      // budget ≥ 1, kept as a guard against a silent spin.
      throw std::logic_error("continuous batching: empty iteration");
    }
    const double t = latency_.iteration(load) + cfg_.iteration_overhead;
    const StepWork work = latency_.iteration_work(load);
    const PowerDraw draw = dev_.step(work.flops, work.bytes, t);  // power of this iteration, capped
    const SimTime dt = from_seconds(draw.seconds);
    watts_now_ = draw.watts;
    co_await engine_.delay(dt);
    watts_now_ = 0;
    const double t_s = to_seconds(dt);
    const double energy = draw.watts * t_s;
    busy_s_ += t_s;
    busy_j_ += energy;
    batch_time_ += t_s * static_cast<double>(running_.size());
    max_batch_seen_ = std::max(max_batch_seen_, running_.size());
    ++iterations_;

    // Advance every sequence; finish those that produced their last token.
    std::size_t keep = 0;
    for (Seq* s : running_) {
      const double share = (s->chunk > 0 ? static_cast<double>(s->chunk)
                                         : (s->prefilled >= s->prompt ? 1.0 : 0.0)) / tokens;
      s->g.energy += energy * share;
      s->g.device_time += t_s * share;
      bool emitted = false;
      if (s->chunk > 0) {
        s->prefilled += s->chunk;
        if (s->prefilled == s->prompt && cache_) cache_prompt(s);
        if (s->prefilled == s->prompt && s->output > 0) emitted = true;  // first token
      } else if (s->prefilled >= s->prompt) {
        emitted = true;
      }
      if (emitted) {
        if (s->generated == 0) s->g.first_token = engine_.now();
        ++s->generated;
      }
      const bool done = s->prefilled >= s->prompt && s->generated >= s->output;
      if (done) {
        if (s->output == 0) s->g.first_token = engine_.now();
        complete(s);
      } else {
        running_[keep++] = s;
      }
    }
    running_.resize(keep);
  }
  looping_ = false;
}

}  // namespace collabsim
