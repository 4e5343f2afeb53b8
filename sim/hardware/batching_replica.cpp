#include "sim/hardware/batching_replica.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

namespace collabsim {

BatchingReplica::BatchingReplica(Engine& engine, const ModelCard& model, const DeviceSpec& device,
                                 const LatencyModel& latency, BatchingConfig cfg, int index)
    : engine_(engine), model_(model), dev_(device), latency_(latency), cfg_(cfg), index_(index) {
  if (cfg_.prefix_block_tokens > 0) {
    if (cfg_.paged)
      throw std::invalid_argument("continuous batching: paged KV admission with prefix caching is not modelled");
    cache_ = std::make_unique<PrefixCache>(cfg_.prefix_block_tokens, model_.kv_bytes_per_token());
  }
  if (cfg_.paged && cfg_.kv_block_tokens < 1)
    throw std::invalid_argument("continuous batching: kv_block_tokens must be at least 1");
  if (cfg_.paged && cfg_.swap && !(cfg_.swap_bandwidth > 0))
    throw std::invalid_argument("continuous batching: swap preemption needs a positive swap bandwidth");
}

Task<Generation> BatchingReplica::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached) {
  return generate(prompt, output, cached, {});
}

Task<Generation> BatchingReplica::generate(std::int64_t prompt, std::int64_t output, std::int64_t cached,
                                           std::span<const std::int64_t> blocks) {
  // Only the Req is in the frame (which waits in memory for the whole queueing and
  // generation): the Seq is built and queued by enqueue().
  Req r;
  enqueue(r, prompt, output, cached, blocks);
  co_await Wait{r};
  co_return r.g;
}

void BatchingReplica::enqueue(Req& r, std::int64_t prompt, std::int64_t output, std::int64_t cached,
                              std::span<const std::int64_t> blocks) {
  if (cache_) r.blocks = blocks;
  Seq s;
  s.req = &r;
  s.prompt = std::max<std::int64_t>(prompt, 0);
  s.output = std::max<std::int64_t>(output, 0);
  s.cached = std::max<std::int64_t>(cached, 0);
  s.target = s.prompt;
  s.full_prompt = s.prompt;
  r.g.queued = engine_.now();
  r.g.prompt_tokens = s.prompt;
  r.g.output_tokens = s.output;
  waiting_.push_back(s);
  if (!looping_) {
    looping_ = true;
    engine_.spawn(loop());
  } else if (span_cuttable_) {
    cut_span();
  }
}

double BatchingReplica::block_bytes(std::int64_t tokens) const {
  const std::int64_t b = cfg_.kv_block_tokens;
  return model_.kv_bytes_per_token() * static_cast<double>((tokens + b - 1) / b * b);
}

bool BatchingReplica::admit_cached(Seq& s, double need) {
  const std::span<const std::int64_t> blocks = s.req->blocks;
  const std::size_t m = cache_->match(blocks);
  const std::int64_t h = std::min<std::int64_t>(static_cast<std::int64_t>(m) * cache_->block_tokens(),
                                                std::max<std::int64_t>(s.prompt - 1, 0));
  const double own = need - model_.kv_bytes_per_token() * static_cast<double>(h);  // hit blocks are the cache's
  cache_->pin(blocks, m);
  const double over = kv_used_ + cache_->bytes() + own - cfg_.kv_capacity;
  if (over > 0 && cache_->evict(over) < over) {
    cache_->unpin(blocks, m);
    return false;
  }
  s.pinned = m;
  s.kv_reserved = own;
  kv_used_ += own;
  s.prompt -= h;
  s.target = s.prompt;
  s.cached += h;
  s.req->g.prefix_hit_tokens = h;
  prefix_prompt_ += s.full_prompt;
  prefix_hit_ += h;
  return true;
}

void BatchingReplica::cache_prompt(Seq& s) {
  // The computed blocks move from the sequence's reservation to the cache (pinned).
  const std::span<const std::int64_t> blocks = s.req->blocks;
  const std::int64_t b = cache_->block_tokens();
  for (std::size_t i = s.pinned; i < blocks.size(); ++i) {
    const std::int64_t tokens = std::min<std::int64_t>(b, s.full_prompt - static_cast<std::int64_t>(i) * b);
    if (tokens <= 0) break;
    const double added = std::min(cache_->insert_pinned(blocks[i], tokens), s.kv_reserved);
    s.kv_reserved -= added;
    kv_used_ -= added;
    s.pinned = i + 1;
  }
}

void BatchingReplica::complete(Seq& s) {
  Generation& g = s.req->g;
  g.end = engine_.now();
  g.replica = index_;
  g.energy = s.energy;
  g.device_time = s.device_time;
  if (cache_) cache_->unpin(s.req->blocks, s.pinned);
  kv_used_ -= s.kv_reserved;
  s.kv_reserved = 0;
  engine_.schedule(engine_.now(), s.req->waiter);
}

void BatchingReplica::admit() {
  const double kv_tok = model_.kv_bytes_per_token();
  while (!waiting_.empty() && static_cast<int>(running_.size()) < cfg_.max_batch) {
    Seq& s = waiting_.front();
    const std::int64_t total = s.cached + s.prompt + s.output;
    double need = 0;
    bool never = false;
    if (cfg_.paged) {
      // Swapped: its blocks come back; else the blocks of what its prefill computes + the token it emits.
      need = s.swapped ? s.kv_reserved : block_bytes(std::min(s.cached + s.target + 1, total));
      never = block_bytes(total) > cfg_.kv_capacity;
    } else {
      need = kv_tok * static_cast<double>(total);
      never = need > cfg_.kv_capacity;
    }
    if (never) {  // can never fit
      s.req->g.failed = true;
      s.req->g.start = engine_.now();
      complete(s);
      waiting_.pop_front();
      continue;
    }
    if (cache_) {
      if (!admit_cached(s, need)) break;  // head of line waits for memory
    } else {
      if (kv_used_ + need > cfg_.kv_capacity) break;  // head of line waits for memory
      s.kv_reserved = need;
      kv_used_ += need;
    }
    if (s.swapped) {  // copied back from host memory before it runs again
      s.swapped = false;
      pending_swap_bytes_ += need;
      swap_bytes_ += need;
    }
    if (!s.started) {
      s.started = true;
      s.req->g.start = engine_.now();
    }
    const std::uint32_t slot = take_slot(s);
    waiting_.pop_front();
    running_.push_back(slot);
    const Seq& r = slots_[slot];
    if (r.decoding()) add_decoder(r);
    if (steady(r)) {
      enter_steady(slot);
    } else {
      visited_.push_back(slot);
    }
  }
}

std::uint32_t BatchingReplica::take_slot(const Seq& s) {
  std::uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.push_back(s);
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
    slots_[slot] = s;
  }
  Seq& r = slots_[slot];
  r.adm = next_adm_++;
  r.acc = kNotSteady;
  return slot;
}

void BatchingReplica::enter_steady(std::uint32_t slot) {
  Seq& s = slots_[slot];
  s.acc = static_cast<std::uint32_t>(acc_.size());
  s.steady_from = iterations_;
  acc_.push_back({s.energy, s.device_time});
  acc_slot_.push_back(slot);
  finish_.push_back({iterations_ + (s.output - s.generated), s.adm, slot});
  std::push_heap(finish_.begin(), finish_.end(), std::greater<>{});
}

void BatchingReplica::materialise(std::uint32_t slot) {
  Seq& s = slots_[slot];
  if (s.acc == kNotSteady) return;
  s.generated += iterations_ - s.steady_from;
  s.energy = acc_[s.acc].energy;
  s.device_time = acc_[s.acc].device_time;
  const std::uint32_t last = static_cast<std::uint32_t>(acc_.size() - 1);
  if (s.acc != last) {
    acc_[s.acc] = acc_[last];
    acc_slot_[s.acc] = acc_slot_[last];
    slots_[acc_slot_[s.acc]].acc = s.acc;
  }
  acc_.pop_back();
  acc_slot_.pop_back();
  s.acc = kNotSteady;
}

void BatchingReplica::prune_finish() {
  while (!finish_.empty()) {
    const Finish& f = finish_.front();
    const Seq& s = slots_[f.slot];
    if (s.adm == f.adm && s.acc != kNotSteady) return;  // still steady: valid
    std::pop_heap(finish_.begin(), finish_.end(), std::greater<>{});
    finish_.pop_back();
  }
}

void BatchingReplica::drop_running(std::uint32_t slot) {
  const std::uint64_t adm = slots_[slot].adm;
  const auto it = std::lower_bound(running_.begin(), running_.end(), adm,
                                   [this](std::uint32_t r, std::uint64_t a) { return slots_[r].adm < a; });
  running_.erase(it);
  slots_[slot].adm = 0;
  slots_[slot].req = nullptr;
  free_slots_.push_back(slot);
}

void BatchingReplica::preempt_back() {
  const std::uint32_t slot = running_.back();
  materialise(slot);
  if (!visited_.empty() && visited_.back() == slot) visited_.pop_back();  // the latest admitted
  Seq s = slots_[slot];
  running_.pop_back();
  slots_[slot].adm = 0;
  slots_[slot].req = nullptr;
  free_slots_.push_back(slot);
  if (s.decoding()) remove_decoder(s);
  ++preemptions_;
  kv_used_ -= s.kv_reserved;
  if (cfg_.swap) {  // KV to host memory (kv_reserved kept: the bytes to bring back)
    s.swapped = true;
    pending_swap_bytes_ += s.kv_reserved;
    swap_bytes_ += s.kv_reserved;
  } else {  // KV freed: prompt + generated tokens (and any cached context) are prefilled again
    s.kv_reserved = 0;
    s.prompt += s.cached;
    s.cached = 0;
    s.target = s.prompt + s.generated;
    s.prefilled = 0;
  }
  s.chunk = 0;
  waiting_.push_front(s);
}

bool BatchingReplica::grow() {
  bool preempted = false;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    if (!slots_[running_[i]].decoding()) continue;  // a prefill's blocks were taken at admission
    const Seq& s = slots_[running_[i]];
    const std::int64_t context = s.cached + s.prompt + generated_of(s);
    const double need = block_bytes(std::min(context + 1, s.cached + s.prompt + s.output)) - s.kv_reserved;
    if (need <= 0) continue;
    bool self = false;
    while (kv_used_ + need > cfg_.kv_capacity) {
      preempted = true;
      self = i + 1 == running_.size();
      preempt_back();  // the latest-admitted sequence (vLLM)
      if (self) break;
    }
    if (self) break;  // it was the last one
    slots_[running_[i]].kv_reserved += need;
    kv_used_ += need;
  }
  return preempted;
}

std::size_t BatchingReplica::coalescible_steps() {
  if (!cfg_.coalesce_decode || cfg_.paged || static_cast<std::size_t>(decode_seqs_) != running_.size()) return 0;
  const bool room = static_cast<int>(running_.size()) < cfg_.max_batch;
  // A blocked queue head is retried at every step end; with prefix caching that retry
  // touches the cache's LRU order, so it is stepped as before.
  if (cache_ && room && !waiting_.empty()) return 0;
  // A decoder before its first token (stamped by the per-sequence walk) is not steady.
  if (acc_.size() != running_.size()) return 0;
  prune_finish();
  std::int64_t steps = static_cast<std::int64_t>(kMaxSpan);
  if (!finish_.empty()) steps = std::min(steps, finish_.front().iteration - iterations_);  // the earliest completion
  return static_cast<std::size_t>(std::max<std::int64_t>(steps, 0));
}

std::size_t BatchingReplica::plan_span(IterationLoad load, double extra, const PowerDraw& first,
                                       std::size_t max_steps) {
  span_.clear();
  SimTime t = engine_.now();
  PowerDraw d = first;
  const LatencyModel::DecodeSpan steps = latency_.decode_span(load, extra);  // step() with the constants hoisted
  for (std::size_t i = 0; i < max_steps; ++i) {
    if (i > 0) {
      load.decode_context += static_cast<double>(load.decode_seqs);  // one token per sequence per step
      d = steps.step(load.decode_context);
      if (!(d.seconds < kMaxSeconds)) break;  // NaN or past the clock: the step-by-step path throws
    }
    const SimTime dt = from_seconds(d.seconds);
    if (dt > engine_.max_time() - t) break;
    t += dt;
    span_.push_back({t, to_seconds(dt), d.watts});
  }
  return span_.size();
}

void BatchingReplica::advance_decode(std::size_t m, double tokens) {
  if (m == 0) return;
  const double share = 1.0 / tokens;
  double e = 0, t = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const double t_s = span_[i].seconds, energy = span_[i].watts * t_s;
    busy_s_ += t_s;
    busy_j_ += energy;
    seq_s_ += static_cast<double>(running_.size()) * t_s;
    e += energy * share;
    t += t_s * share;
  }
  const auto steps = static_cast<std::int64_t>(m);
  iterations_ += steps;
  tokens_generated_ += steps * decode_seqs_;
  decode_ctx_ += steps * decode_seqs_;
  add_to_steady(e, t);  // every running sequence is steady (coalescible_steps); generated follows iterations_
}

void BatchingReplica::add_to_steady(double e, double t) {
  // One (energy, device time) pair per iteration of the body: a 16-byte vector add with
  // SSE2; unrolled, as the loop runs over the whole batch every iteration.
  Acc* a = acc_.data();
  const std::size_t n = acc_.size();
#pragma GCC unroll 4
  for (std::size_t i = 0; i < n; ++i) {
    a[i].energy += e;
    a[i].device_time += t;
  }
}

void BatchingReplica::cut_span() {
  span_cuttable_ = false;
  const SimTime now = engine_.now();
  const auto it = std::lower_bound(span_.begin(), span_.begin() + static_cast<std::ptrdiff_t>(span_steps_), now,
                                   [](const SpanStep& st, SimTime t) { return st.end < t; });
  const auto j = static_cast<std::size_t>(it - span_.begin()) + 1;  // steps up to that end
  if (j >= span_steps_) return;  // the span ends there anyway
  engine_.cancel(span_event_);
  span_steps_ = j;
  span_event_ = engine_.schedule(span_[j - 1].end, loop_handle_);
}

double BatchingReplica::span_watts() const {
  const auto last = span_.begin() + static_cast<std::ptrdiff_t>(span_steps_) - 1;
  const auto it = std::upper_bound(span_.begin(), last, engine_.now(),
                                   [](SimTime t, const SpanStep& st) { return t < st.end; });
  return it->watts;
}

IterationLoad BatchingReplica::build_iteration(std::int64_t& prefill_tokens) {
  std::int64_t budget = cfg_.max_prefill_tokens > 0 ? cfg_.max_prefill_tokens
                                                    : std::numeric_limits<std::int64_t>::max();
  IterationLoad load;
  prefill_tokens = 0;
  for (const std::uint32_t slot : visited_) {
    Seq& s = slots_[slot];
    if (s.decoding()) continue;
    const std::int64_t n = std::min(s.target - s.prefilled, budget);
    if (n == 0) continue;  // starved by the chunked-prefill budget this iteration
    budget -= n;
    s.chunk = n;
    const double nn = static_cast<double>(n), o = static_cast<double>(s.cached + s.prefilled);
    ++load.prefill_seqs;
    load.prefill_tokens += nn;
    load.prefill_attention += nn * (o + nn / 2.0);
    load.prefill_kv_tokens += o + nn;
    prefill_tokens += n;
  }
  prefilled_tokens_ += prefill_tokens;
  load.decode_seqs = decode_seqs_;
  load.decode_context = static_cast<double>(decode_ctx_);  // exact: integer sums below 2^53
  return load;
}

double BatchingReplica::iteration_extra() {
  double extra = cfg_.iteration_overhead;
  if (pending_swap_bytes_ > 0) {  // swap copies (out and in) stall this iteration
    extra += pending_swap_bytes_ / cfg_.swap_bandwidth;
    pending_swap_bytes_ = 0;
  }
  return extra;
}

bool BatchingReplica::step_one(Seq& s, double tokens, double t_s, double energy, SimTime now) {
  bool emitted = false;
  if (s.chunk > 0) {
    const double share = static_cast<double>(s.chunk) / tokens;
    s.energy += energy * share;
    s.device_time += t_s * share;
    s.prefilled += s.chunk;
    s.prefilled_total += s.chunk;
    s.chunk = 0;
    if (s.prefilled == s.target) {
      if (cache_) cache_prompt(s);
      if (s.generated < s.output) emitted = true;  // first token (or the next, after a recompute)
    }
  } else if (s.decoding()) {
    const double share = 1.0 / tokens;
    s.energy += energy * share;
    s.device_time += t_s * share;
    emitted = true;
    remove_decoder(s);  // added back below with its new context unless it finishes
  }
  if (emitted) {
    if (s.generated == 0) s.req->g.first_token = now;
    if (s.generated < s.output) ++tokens_generated_;  // (a request for 0 tokens still takes a step)
    ++s.generated;
  }
  if (s.decoding() && s.generated >= s.output) {
    if (s.output == 0) s.req->g.first_token = now;
    if (cfg_.paged) recompute_tokens_ += s.prefilled_total - s.full_prompt;
    complete(s);
    return true;
  }
  return false;
}

void BatchingReplica::finish_iteration(double tokens, double t_s, double energy) {
  busy_s_ += t_s;
  busy_j_ += energy;
  seq_s_ += static_cast<double>(running_.size()) * t_s;
  max_batch_seen_ = std::max(max_batch_seen_, running_.size());
  ++iterations_;
  const SimTime now = engine_.now();
  // Steady decoders: one token each, the per-token share of the iteration (as the walk of
  // each sequence: share = 1 / tokens, energy × share added to its running total).
  if (!acc_.empty()) {
    const double share = 1.0 / tokens;
    const double e = energy * share, t = t_s * share;
    add_to_steady(e, t);
    const auto n = static_cast<std::int64_t>(acc_.size());
    tokens_generated_ += n;
    decode_ctx_ += n;
  }
  // Steady decoders whose last token this was, in admission order (the heap's tie-break).
  done_.clear();
  for (prune_finish(); !finish_.empty() && finish_.front().iteration <= iterations_; prune_finish()) {
    done_.push_back(finish_.front().slot);
    std::pop_heap(finish_.begin(), finish_.end(), std::greater<>{});
    finish_.pop_back();
  }
  // The visited sequences and the finishing steady ones, merged in admission order (the
  // order of completions, prefix-cache inserts and KV releases).
  std::size_t keep = 0, d = 0;
  const std::size_t nv = visited_.size();
  for (std::size_t v = 0; v < nv || d < done_.size();) {
    if (d < done_.size() && (v == nv || slots_[done_[d]].adm < slots_[visited_[v]].adm)) {
      const std::uint32_t slot = done_[d++];
      materialise(slot);
      Seq& s = slots_[slot];
      remove_decoder(s);
      if (cfg_.paged) recompute_tokens_ += s.prefilled_total - s.full_prompt;
      complete(s);
      drop_running(slot);
      continue;
    }
    const std::uint32_t slot = visited_[v++];
    Seq& s = slots_[slot];
    if (step_one(s, tokens, t_s, energy, now)) {
      drop_running(slot);
      continue;
    }
    if (s.decoding()) {
      add_decoder(s);  // with its new context (a decoder was taken out by step_one before its token)
      if (steady(s)) {
        enter_steady(slot);
        continue;
      }
    }
    visited_[keep++] = slot;
  }
  visited_.resize(keep);
}

Task<void> BatchingReplica::loop() {
  while (!waiting_.empty() || !running_.empty()) {
    // Paged: running sequences take their next block first (preempting if needed); new
    // sequences are admitted only in a round without preemption (vLLM's scheduler).
    const bool preempted = cfg_.paged && grow();
    if (!preempted) admit();
    if (running_.empty()) continue;  // only failures were drained (or everything was preempted)

    // Build one iteration: decode sums are kept up to date; prefill chunks FCFS in the budget.
    std::int64_t prefill_tokens = 0;
    const IterationLoad load = build_iteration(prefill_tokens);
    const double tokens = static_cast<double>(prefill_tokens + decode_seqs_);
    if (tokens == 0) {
      // Every running sequence is a prefill starved by a zero budget: cannot happen with
      // budget ≥ 1, kept as a guard against a silent spin.
      throw std::logic_error("continuous batching: empty iteration");
    }
    const double extra = iteration_extra();
    const PowerDraw draw = latency_.step(load, extra);  // time and power of this iteration, capped
    const std::size_t span = prefill_tokens == 0 ? coalescible_steps() : 0;
    double t_s = 0, energy = 0;
    if (span >= 2 && plan_span(load, extra, draw, span) >= 2) {
      span_steps_ = span_.size();
      span_cuttable_ = waiting_.empty() && static_cast<int>(running_.size()) < cfg_.max_batch;
      co_await SpanWake{*this};
      const std::size_t steps = span_steps_;  // all planned, or fewer after a cut
      span_steps_ = 0;
      span_cuttable_ = false;
      advance_decode(steps - 1, tokens);
      t_s = span_[steps - 1].seconds;  // the last step goes through the walk below
      energy = span_[steps - 1].watts * t_s;
    } else {
      const SimTime dt = from_seconds(draw.seconds);
      watts_now_ = draw.watts;
      co_await engine_.delay(dt);
      watts_now_ = 0;
      t_s = to_seconds(dt);
      energy = draw.watts * t_s;
    }
    finish_iteration(tokens, t_s, energy);
  }
  looping_ = false;
}

}  // namespace collabsim
