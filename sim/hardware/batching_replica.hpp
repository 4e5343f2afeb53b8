#pragma once
/// \file batching_replica.hpp
/// One model replica serving with iteration-level continuous batching (Orca, Yu et al.,
/// OSDI 2022; vLLM, Kwon et al., SOSP 2023). Each iteration runs one decode step of every
/// running sequence plus the prefill of newly admitted sequences (optionally chunked:
/// at most `max_prefill_tokens` prompt tokens per iteration, as Sarathi-Serve, Agrawal et
/// al., OSDI 2024). The iteration that finishes a prompt emits its first token.
///
/// Admission is FCFS, while the batch has fewer than `max_batch` sequences, in one of two
/// KV-cache modes (BatchingConfig::paged):
///  - reserve (the default): a sequence is admitted only if the KV cache of its whole
///    prompt + output (kv_bytes_per_token × tokens) fits in what is left of `kv_capacity`;
///    nothing is ever preempted (conservative).
///  - paged (vLLM's PagedAttention, Kwon et al., SOSP 2023): a sequence holds KV blocks of
///    `kv_block_tokens` tokens for what it has computed. Admission takes the blocks of its
///    prompt (+ the first output token); before every iteration each running sequence, in
///    admission order, takes the blocks of the token it will produce. When the cache has no
///    free block for it, the latest-admitted running sequence is preempted (vLLM's policy;
///    possibly the growing sequence itself), repeatedly until the block fits, and no new
///    sequence is admitted in that round. A preempted sequence goes back to the head of the
///    waiting queue (preempted ones in their admission order), and on readmission either
///      recompute: had its KV freed and prefills its prompt + the tokens it generated again
///                 (recompute_tokens counts the extra prefill), or
///      swap:      had its KV copied to host memory, and copies it back; both copies take
///                 bytes / `swap_bandwidth` s, added to the next iteration's time.
///    Output tokens are never produced twice.
/// Either way a request whose KV (prompt + output, rounded up to whole blocks when paged)
/// alone exceeds the capacity fails at once.
///
/// Per-sequence state is kept in the replica (not in the callers' coroutine frames). An
/// iteration costs in proportion to the sequences that change in it, not to the batch:
/// a *steady* decoder (decoding, first token out, not finished) is not visited; its
/// generated tokens are counted from the replica's iteration counter (generated = tokens
/// when it became steady + iterations since), its finishing iteration sits in a min-heap
/// keyed by (iteration, admission order), and its attributed energy and device time live
/// in a dense array that one vectorisable loop advances by the iteration's per-token share
/// (the same additions in the same order as a walk of each sequence: bit-identical). Only
/// the sequences that prefill, have not emitted a first token, or finish are visited, in
/// admission order; the decode sums of the next iteration (sequences, Σ context) are kept
/// incrementally (integers: exact).
///
/// Coalesced decode: while the batch cannot change (reserve mode, every running sequence
/// decoding, no completion before the planned step, no admission possible or none waiting),
/// the replica plans up to kMaxSpan decode steps at once: LatencyModel::step is called for
/// each (the context grows by one token per sequence per step), the step ends are laid out
/// on the clock, and one engine event wakes the replica at the end of the last, instead of
/// one event and one walk of the batch per step. At the wake the steps before the last are
/// applied in closed form (running totals: busy time and energy summed step by step as
/// before; each sequence's energy and device time get the span's sum of its per-step
/// shares in one addition; generated tokens and Σ context advance by the step count), and
/// the last step goes through the ordinary per-sequence walk (completions, first tokens).
/// A request arriving during the span while the batch has room cuts it: the pending wake
/// is cancelled (Engine::cancel) and the replica wakes at the first step end at or after
/// the arrival, where it would have admitted it step by step. watts_now() answers for the
/// step in progress. Differences from stepping one event per step (docs/ARCHITECTURE.md):
/// the per-sequence energy/device-time sums are associated differently (relative
/// differences ~1e-15); an event at exactly the same ns as a planned step end may be
/// ordered before that step where it came after (the wake's sequence number is taken when
/// the span is planned); fewer events count against run.max_events.
///
/// Iteration time and power come from one function, LatencyModel::step (with the roofline:
/// roofline.hpp's iteration_time over the whole batch on k accelerators):
///   FLOPs = 2·P_active·(prefill tokens + decode sequences)
///         + Σ_prefill 4·L·H·d_h·n·(o + n/2) + Σ_decode 4·L·H·d_h·c
///   bytes = weights + Σ_decode KV(c) + Σ_prefill KV(o + n)
///   t = core(FLOPs / (peak·η_c·k), memory time) + step_overhead(tokens) + iteration_overhead
/// (core = max or sum by the device card's `overlap`), where a prefill chunk has n new
/// tokens after o already cached, and c is a decoding sequence's context. Power of an
/// iteration = DeviceSpec::step of its roofline work over t (activity from achieved/peak
/// FLOP/s and bandwidth; a power cap stretches t); energy = power × t, attributed to its
/// sequences in proportion to the tokens each processed in it.

#include <coroutine>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "sim/core/engine.hpp"
#include "sim/hardware/generation.hpp"
#include "sim/hardware/latency_model.hpp"
#include "sim/hardware/device_spec.hpp"
#include "sim/hardware/model_card.hpp"
#include "sim/hardware/prefix_cache.hpp"

namespace collabsim {

struct BatchingConfig {
  int max_batch = 256;                    ///< sequences per iteration
  std::int64_t max_prefill_tokens = 0;    ///< prompt tokens per iteration (0 = unlimited)
  double kv_capacity = 0;                 ///< bytes of KV cache available on the replica
  double iteration_overhead = 0;          ///< s per iteration (scheduling, kernel launches)
  /// Prefix caching (prefix_cache.hpp): tokens per KV block keyed by a request's prefix-block
  /// hash ids (Mooncake: 512); 0 = off (no cache, results as without the feature).
  std::int64_t prefix_block_tokens = 0;
  /// KV admission: false = reserve prompt + output up front (no preemption); true = paged
  /// (blocks as the sequence grows, preemption when they run out). Paged admission with
  /// prefix caching is not modelled (the constructor throws std::invalid_argument).
  bool paged = false;
  std::int64_t kv_block_tokens = 16;     ///< paged: tokens per KV block (vLLM's default block size)
  bool swap = false;                     ///< paged: preemption swaps KV to host memory (else recompute)
  double swap_bandwidth = 32e9;          ///< bytes/s of the device ↔ host copy (swap preemption)
  /// Coalesced decode (BatchingReplica's file comment): several decode steps per engine
  /// event while the batch cannot change. false = one event and one batch walk per
  /// iteration, the reference the coalesced path is tested against (same times; energies
  /// within ~1e-15 relative).
  bool coalesce_decode = true;
};

class BatchingReplica {
 public:
  /// `latency` must outlive the replica. `index`: its place in a pool, stamped on every
  /// Generation it serves (Generation::replica; −1 for a replica on its own).
  BatchingReplica(Engine& engine, const ModelCard& model, const DeviceSpec& device,
                  const LatencyModel& latency, BatchingConfig cfg, int index = -1);
  BatchingReplica(const BatchingReplica&) = delete;
  BatchingReplica& operator=(const BatchingReplica&) = delete;

  /// Queues a sequence and resumes the caller when its last token is produced (or it
  /// failed: Generation::failed). `cached_tokens` of context are already in the KV cache
  /// (reserved with the sequence, attended to, not prefilled).
  Task<Generation> generate(std::int64_t prompt_tokens, std::int64_t output_tokens,
                            std::int64_t cached_tokens = 0);
  /// As above, with the prompt's prefix-block hash ids (`blocks[i]` = block i of the prompt,
  /// BatchingConfig::prefix_block_tokens tokens each; must stay alive until the call
  /// returns). With prefix caching on, at admission the longest run of leading blocks
  /// present in this replica's cache is reused: h = min(blocks hit × block_tokens,
  /// prompt − 1) tokens are not prefilled (the last prompt token is always recomputed for
  /// the first output's logits, as vLLM does) and the prefill costs exactly that of
  /// generate(prompt − h, output, cached + h). When its prefill completes the sequence's
  /// blocks enter the cache (pinned until it ends, then evictable, LRU). Without prefix
  /// caching `blocks` is ignored.
  Task<Generation> generate(std::int64_t prompt_tokens, std::int64_t output_tokens, std::int64_t cached_tokens,
                            std::span<const std::int64_t> blocks);

  /// Sequences waiting or running (for least-loaded dispatch).
  std::size_t load() const { return waiting_.size() + running_.size(); }
  double busy_seconds() const { return busy_s_; }
  double busy_energy() const { return busy_j_; }
  /// Σ over iterations of (sequences in the batch × iteration time), sequence-seconds;
  /// / busy_seconds() is the mean batch while busy.
  double sequence_seconds() const { return seq_s_; }
  /// Bytes of KV cache held: sequences' reservations + cached prefix blocks.
  double kv_used() const { return kv_used_ + (cache_ ? cache_->bytes() : 0.0); }
  /// Prefix caching: prompt tokens admitted and tokens of them served from the cache
  /// (hit rate = hit / prompt); the cache (nullptr when off).
  std::int64_t prefix_prompt_tokens() const { return prefix_prompt_; }
  std::int64_t prefix_hit_tokens() const { return prefix_hit_; }
  const PrefixCache* prefix_cache() const { return cache_.get(); }
  /// Tokens of a `prompt`-token prompt with prefix blocks `blocks` that this replica's cache
  /// would serve if admitted now: min(leading blocks present × block tokens, prompt − 1);
  /// 0 without prefix caching (cache-aware dispatch).
  std::int64_t prefix_match_tokens(std::span<const std::int64_t> blocks, std::int64_t prompt) const {
    if (!cache_ || blocks.empty()) return 0;
    const auto m = static_cast<std::int64_t>(cache_->match(blocks)) * cache_->block_tokens();
    return m < prompt - 1 ? m : (prompt > 1 ? prompt - 1 : 0);
  }
  std::size_t running() const { return running_.size(); }
  std::size_t waiting() const { return waiting_.size(); }
  std::int64_t iterations() const { return iterations_; }
  /// Largest batch seen (sequences per iteration).
  std::size_t max_batch_seen() const { return max_batch_seen_; }
  /// W of the iteration in progress (0 between iterations: the replica is idle); during a
  /// coalesced decode span, that of the planned step under way at engine.now().
  double watts_now() const { return span_steps_ > 0 ? span_watts() : watts_now_; }
  /// Decode steps planned at most per coalesced span (one engine event each span). A span
  /// cut by an arrival wastes the steps planned after the cut: on the default scenario 16
  /// gave the fewest instructions per request (callgrind: 4, 8, 16, 32, 64 → 58.6k, 56.6k,
  /// 56.5k, 58.0k, 60.7k; 68.2k one event per step).
  static constexpr std::size_t kMaxSpan = 16;
  /// Whether the dispatch may send it new requests (autoscaling: false while stopped,
  /// starting or draining). Always true for a fixed pool.
  bool accepting() const { return accepting_; }
  void set_accepting(bool on) { accepting_ = on; }
  /// Paged admission: sequences preempted so far (each preemption counts once), prompt and
  /// generated tokens prefilled again after recompute preemptions (tokens), KV bytes copied
  /// between device and host by swap preemptions (out + in, bytes). 0 in reserve mode.
  std::int64_t preemptions() const { return preemptions_; }
  std::int64_t recompute_tokens() const { return recompute_tokens_; }
  double swap_bytes() const { return swap_bytes_; }
  /// Output tokens produced so far (each requested output token of a served request exactly once).
  std::int64_t tokens_generated() const { return tokens_generated_; }
  /// Prompt tokens prefilled so far (recomputes included; prefix-cache hits excluded).
  std::int64_t prefilled_tokens() const { return prefilled_tokens_; }

 private:
  /// What the caller waits on, in its generate() coroutine frame (touched at admission and
  /// completion only).
  struct Req {
    Generation g;
    std::coroutine_handle<> waiter;
    std::span<const std::int64_t> blocks;  // prefix-block hash ids (prefix caching)
  };
  static constexpr std::uint32_t kNotSteady = 0xffffffffu;
  /// Per-sequence state, by value in waiting_ and, while running, in slots_.
  struct Seq {
    Req* req = nullptr;
    std::int64_t prompt = 0, output = 0, cached = 0;
    std::int64_t target = 0;               // tokens to prefill: prompt (+ generated, after a recompute preemption)
    std::int64_t prefilled = 0, generated = 0;
    std::int64_t chunk = 0;                // tokens prefilled in the current iteration
    std::int64_t prefilled_total = 0;      // Σ chunks, recomputes included
    double kv_reserved = 0;                // bytes held (paged: whole blocks)
    double energy = 0, device_time = 0;    // attributed so far (J, s)
    std::int64_t full_prompt = 0;          // prompt before the cache hit
    std::size_t pinned = 0;                // leading blocks pinned in the cache
    bool started = false;                  // admitted once (Generation::start set)
    bool swapped = false;                  // KV on the host (swap preemption), resumes where it stopped
    // While running: admission number (running order; 0 = slot free), index in acc_ while
    // steady (kNotSteady otherwise) and iterations_ when it became steady. While steady,
    // `generated`, `energy` and `device_time` hold their values at that moment (materialise()).
    std::uint64_t adm = 0;
    std::uint32_t acc = kNotSteady;
    std::int64_t steady_from = 0;
    bool decoding() const { return prefilled >= target; }
    /// Context (tokens); of a steady sequence only after materialise().
    std::int64_t context() const { return cached + prompt + generated; }
  };
  /// Energy (J) and device time (s) attributed to a steady decoder so far.
  struct Acc {
    double energy, device_time;
  };
  /// A steady decoder's last iteration: heap entry ordered by (iteration, admission).
  struct Finish {
    std::int64_t iteration;
    std::uint64_t adm;
    std::uint32_t slot;
    bool operator>(const Finish& o) const { return iteration != o.iteration ? iteration > o.iteration : adm > o.adm; }
  };
  struct Wait {
    Req& r;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) noexcept { r.waiter = h; }
    void await_resume() const noexcept {}
  };

  /// One planned step of a coalesced decode span: its end on the clock (ns), its duration
  /// (s, as the clock rounds it) and power (W).
  struct SpanStep {
    SimTime end;
    double seconds;
    double watts;
  };
  /// Wakes the loop at the end of span_[span_steps_ - 1] through a cancellable event.
  struct SpanWake {
    BatchingReplica& r;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> h) {
      r.loop_handle_ = h;
      r.span_event_ = r.engine_.schedule(r.span_[r.span_steps_ - 1].end, h);
    }
    void await_resume() const noexcept {}
  };

  /// generate()'s step before its wait: `r`'s sequence joins the waiting queue (and the
  /// loop starts, or a coalesced span is cut). A plain function, so that the Seq is not in
  /// the coroutine frame.
  void enqueue(Req& r, std::int64_t prompt, std::int64_t output, std::int64_t cached,
               std::span<const std::int64_t> blocks);
  Task<void> loop();
  /// The next iteration's load: decode sums as kept, prefill chunks FCFS within
  /// max_prefill_tokens (each chunk stored in its Seq); `prefill_tokens` = their sum.
  IterationLoad build_iteration(std::int64_t& prefill_tokens);
  /// Seconds added to this iteration: the per-iteration overhead and any pending swap
  /// copies (taken: the next iteration pays them no more).
  double iteration_extra();
  /// After an iteration of `t_s` s and `energy` J over `tokens` tokens: busy totals,
  /// every sequence advanced (energy and device time by token share; steady decoders
  /// through acc_ and the iteration counter), the visited and finishing ones in admission
  /// order (completions, first tokens, prefix-cache inserts), and the decode sums updated.
  void finish_iteration(double tokens, double t_s, double energy);
  /// Decode steps the batch can take without changing (0 or 1: do not coalesce): the
  /// conditions in the file comment, bounded by the earliest completion and kMaxSpan.
  std::size_t coalescible_steps();
  /// Plans up to `max_steps` decode steps starting with `first` (the draw of `load`):
  /// fills span_ and returns how many (fewer when a step would pass the engine's max_time
  /// or the clock: the step-by-step path reports that limit at its step).
  std::size_t plan_span(IterationLoad load, double extra, const PowerDraw& first, std::size_t max_steps);
  /// Adds `e` J and `t` s to every steady decoder's totals (acc_).
  void add_to_steady(double e, double t);
  /// Applies the first `m` planned steps in closed form (no sequence completes in them).
  void advance_decode(std::size_t m, double tokens);
  /// An arrival during a span: wake at the first planned step end at or after now.
  void cut_span();
  double span_watts() const;
  void complete(Seq& s);
  /// Prefix caching: reuses the cached prefix of the queue head; false when its KV does not
  /// fit even after evicting (nothing changed then).
  bool admit_cached(Seq& s, double need);
  void cache_prompt(Seq& s);
  /// Admits from the head of the waiting queue while batch and KV cache have room.
  void admit();
  /// Paged: bytes of the blocks that hold `tokens` tokens.
  double block_bytes(std::int64_t tokens) const;
  /// Paged: gives every running sequence the blocks of the token it produces next,
  /// preempting from the back as needed; true when any sequence was preempted.
  bool grow();
  /// Paged: preempts running_.back() to the head of the waiting queue.
  void preempt_back();
  void add_decoder(const Seq& s) { ++decode_seqs_, decode_ctx_ += s.context(); }
  void remove_decoder(const Seq& s) { --decode_seqs_, decode_ctx_ -= s.context(); }
  /// Tokens generated by slots_[slot] so far (steady or not).
  std::int64_t generated_of(const Seq& s) const {
    return s.acc == kNotSteady ? s.generated : s.generated + (iterations_ - s.steady_from);
  }
  /// Puts a running sequence in slots_ (admission number next_adm_++) and returns its slot.
  std::uint32_t take_slot(const Seq& s);
  /// Whether a running sequence qualifies as steady: decoding, first token out, not finished.
  static bool steady(const Seq& s) { return s.decoding() && s.generated >= 1 && s.generated < s.output; }
  /// Makes slots_[slot] steady: its totals move to acc_, its finishing iteration to the heap.
  void enter_steady(std::uint32_t slot);
  /// Writes a steady sequence's generated tokens, energy and device time back into it and
  /// takes it out of acc_ (swap-remove); its heap entry goes stale.
  void materialise(std::uint32_t slot);
  /// Drops heap entries of sequences that are no longer steady (paged preemption).
  void prune_finish();
  /// The iteration walk of one visited sequence (prefilling, or decoding before its first
  /// token): true when it finished (completed) and leaves the batch. A decoder leaves the
  /// decode sums before its token (remove_decoder); the caller adds back whatever still decodes.
  bool step_one(Seq& s, double tokens, double t_s, double energy, SimTime now);
  /// Removes slots_[slot] from running_ (found by admission number) and frees the slot.
  void drop_running(std::uint32_t slot);

  Engine& engine_;
  const ModelCard& model_;
  const DeviceSpec& dev_;
  const LatencyModel& latency_;
  BatchingConfig cfg_;
  int index_ = -1;
  std::deque<Seq> waiting_;
  std::vector<Seq> slots_;            // running sequences by slot (adm == 0: free)
  std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> running_;   // slots of the running sequences, in admission order
  std::vector<std::uint32_t> visited_;   // slots walked every iteration (not steady), in admission order
  std::vector<Acc> acc_;                 // steady decoders' totals (dense, any order)
  std::vector<std::uint32_t> acc_slot_;  // slot of acc_[i]
  std::vector<Finish> finish_;           // min-heap (std::greater) of steady decoders' last iterations
  std::vector<std::uint32_t> done_;      // scratch: steady decoders finishing in this iteration
  std::uint64_t next_adm_ = 1;
  int decode_seqs_ = 0;               // decoding sequences in running_
  std::int64_t decode_ctx_ = 0;       // Σ their context (tokens)
  double pending_swap_bytes_ = 0;     // swap copies to charge to the next iteration
  std::int64_t preemptions_ = 0, recompute_tokens_ = 0, tokens_generated_ = 0, prefilled_tokens_ = 0;
  double swap_bytes_ = 0;
  bool looping_ = false;
  bool accepting_ = true;
  double watts_now_ = 0;
  double kv_used_ = 0;
  double busy_s_ = 0, busy_j_ = 0, seq_s_ = 0;
  std::int64_t iterations_ = 0;
  std::size_t max_batch_seen_ = 0;
  std::unique_ptr<PrefixCache> cache_;
  std::int64_t prefix_prompt_ = 0, prefix_hit_ = 0;
  // Coalesced decode (see the file comment).
  std::vector<SpanStep> span_;          // planned steps of the span in progress
  std::size_t span_steps_ = 0;          // steps of span_ the wake applies (0: no span in progress)
  std::uint64_t span_event_ = 0;        // engine sequence number of the pending wake
  std::coroutine_handle<> loop_handle_;
  bool span_cuttable_ = false;          // an arrival could be admitted at the next step end
};

}  // namespace collabsim
