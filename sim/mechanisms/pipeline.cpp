/// \file pipeline.cpp
/// Pipeline collaboration (survey §3.1.1): the SLM on the user's device works before or
/// after the LLM.
///  - "compress": the SLM reads the prompt and writes a compressed sketch of
///    `compress_ratio` × the prompt tokens, which the LLM answers from (CoGenesis's
///    sketch, prompt-compression pipelines). Fewer tokens up and into the LLM; the quality
///    is the LLM's on that question (the compression's own quality loss is not modelled:
///    the tables hold no outcomes for compressed prompts).
///  - "deidentify": the SLM de-identifies the prompt on the device (privacy-sensitive RAG,
///    CoGenesis): it reads the prompt and, with `deidentify_output = "placeholders"`
///    (default), writes one placeholder token per private token
///    (the request's private share (workload.private_share or [workload.attributes]) × prompt tokens, at least 1), which replace the private
///    spans, as span-tagging de-identifiers do (e.g. Microsoft Presidio's
///    detect-then-replace); with "rewrite" it regenerates the whole prompt. The same number
///    of tokens travel, none of them private (`private_tokens_sent` stays 0, where
///    large_only sends workload.private_share of every prompt).
///  - "sketch": CoGenesis's sketch-based variant in its paper's direction (Zhang et al.,
///    ACL 2024, "CoGenesis: A Framework Collaborating Large and Small Language Models for
///    Secure Context-Aware Instruction Following", §4.1): the cloud LLM receives only the
///    instruction without the private context ((1 − workload.private_share) × prompt
///    tokens; none of them private) and writes a sketch of `sketch_tokens`; the sketch comes
///    down to the device, where the SLM writes the whole answer from the full prompt (with
///    the private context) plus the sketch. Private tokens never leave the device. Quality
///    (the tables hold no outcome for a sketch-guided SLM): the LLM's outcome on the
///    question with probability `sketch_transfer` (the SLM follows the sketch's answer),
///    else the SLM's own, drawn per request (stream "sketch_transfer"). 0 = the SLM alone,
///    1 = the LLM's quality; the paper finds the sketch variant between the SLM alone and
///    the LLM with context, so the default 0.5 is an assumption in that range, not a fitted
///    value (docs/MECHANISMS.md shows how the conclusion moves across [0, 1]).
///  - "rerank": the LLM generates `candidates` answers, the SLM re-ranks them on the
///    device (LSC4Rec): the LLM pays candidates × output tokens, the SLM reads them all and
///    writes `rerank_tokens`; the chosen answer's quality is the LLM's.
///
/// Retrieval step (`retrieval = "dense"`; "none", the default, leaves it out): before the
/// SLM works, the origin device embeds the query and searches the user's personal corpus
/// (the survey's §4.2 "preliminary retrieval"), sim/kernels/dense_retrieval.hpp: the
/// query is the public part of the prompt, (1 − private_share) × prompt tokens (at least
/// 1; the private part is the retrieved notes), encoded by all-MiniLM-L6-v2 (truncated at
/// 256 tokens), then an exact search over `corpus_chunks` chunk embeddings of 384 float32
/// values. Its time and energy are the roofline of those FLOPs and bytes on the origin's
/// card (Context::compute_work_on_origin). The notes' tokens are already in the trace's
/// prompt length, so retrieval adds time and energy, not tokens; indexing the corpus is
/// done ahead of time and not charged. /mechanism reports retrieval_calls,
/// retrieval_time_mean_s and retrieval_energy_mean_j.

#include <cmath>

#include "sim/kernels/dense_retrieval.hpp"
#include "sim/mechanisms/registry.hpp"
#include "sim/mechanisms/two_model.hpp"

namespace collabsim {
namespace {

class Pipeline final : public TwoModelMechanism {
 public:
  Pipeline(Context& cx, const ParamSet& p)
      : TwoModelMechanism(cx, p),
        mode_(p.text("mode")),
        ratio_(p.number("compress_ratio")),
        candidates_(p.integer("candidates")),
        rerank_tokens_(p.integer("rerank_tokens")),
        rewrite_(p.text("deidentify_output") == "rewrite"),
        sketch_tokens_(p.integer("sketch_tokens")),
        sketch_transfer_(p.number("sketch_transfer")),
        retrieve_(p.text("retrieval") == "dense"),
        corpus_chunks_(p.integer("corpus_chunks")) {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    if (retrieve_) co_await retrieve(r, rec);
    if (mode_ == "rerank") {
      Answer llm = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, cx_.output_tokens(large_, r) * candidates_);
      if (llm.timed_out || llm.generation.failed) co_return cx_.finish(r, rec, llm, Route::large(), false);
      const Answer pick = co_await cx_.ask_tokens(small_, r, rec, cx_.output_tokens(large_, r) * candidates_, rerank_tokens_);
      llm.first_token_at_user = llm.done_at_user = std::max(llm.done_at_user, pick.done_at_user);
      co_return cx_.finish(r, rec, llm, Route::large(), false);
    }
    if (mode_ == "sketch") co_return co_await sketch(r, rec);
    std::int64_t sent = r.prompt_tokens, written = r.prompt_tokens;
    if (mode_ == "compress")
      sent = written = std::max<std::int64_t>(1, std::llround(ratio_ * static_cast<double>(r.prompt_tokens)));
    else if (!rewrite_)
      written = std::max<std::int64_t>(
          1, std::llround(r.private_share * static_cast<double>(r.prompt_tokens)));
    // The SLM reads the prompt and writes what goes up (the sketch, the placeholders or the
    // rewritten prompt).
    co_await cx_.ask_tokens(small_, r, rec, r.prompt_tokens, written);
    const Answer a = co_await cx_.ask_tokens(large_, r, rec, sent, cx_.output_tokens(large_, r), mode_ == "deidentify");
    cx_.finish(r, rec, a, Route::large(), false);
  }

  MetricRow stats() const override {
    if (!retrieve_) return {};
    const double n = static_cast<double>(retrievals_);
    return {{"retrieval_calls", {"requests", n}},
            {"retrieval_time_mean_s", {"s", n > 0 ? retrieval_s_ / n : 0.0}},
            {"retrieval_energy_mean_j", {"J", n > 0 ? retrieval_j_ / n : 0.0}}};
  }

 private:
  /// Query embedding + exact search over the personal corpus on the origin device.
  Task<void> retrieve(const Request& r, RequestRecord& rec) {
    const kernels::EncoderShape encoder;  // all-MiniLM-L6-v2
    const std::int64_t query = std::max<std::int64_t>(
        1, std::llround((1.0 - r.private_share) * static_cast<double>(r.prompt_tokens)));
    const kernels::KernelWork e = kernels::encode_work(encoder, query);
    const kernels::KernelWork s = kernels::search_work(corpus_chunks_, encoder.hidden);
    const Context::OriginWork w = co_await cx_.compute_work_on_origin(r, rec, e.flops + s.flops, e.bytes + s.bytes);
    ++retrievals_;
    retrieval_s_ += w.seconds;
    retrieval_j_ += w.joules;
  }

  /// CoGenesis sketch: LLM sketches from the public instruction, SLM completes on the device.
  Task<void> sketch(const Request& r, RequestRecord& rec) {
    const double priv = r.private_share;
    const std::int64_t public_tokens =
        std::max<std::int64_t>(1, std::llround((1.0 - priv) * static_cast<double>(r.prompt_tokens)));
    const Answer s = co_await cx_.ask_tokens(large_, r, rec, public_tokens, sketch_tokens_, /*redacted=*/true);
    if (s.timed_out || s.generation.failed) co_return cx_.finish(r, rec, s, Route::large(), false);
    const Answer a = co_await cx_.ask_tokens(small_, r, rec, r.prompt_tokens + sketch_tokens_, cx_.output_tokens(small_, r));
    RngStream rng = cx_.rng("sketch_transfer", r);
    const bool follows = rng.uniform() < sketch_transfer_;
    cx_.finish_with_quality(r, rec, a, Route::small(), false, cx_.score(follows ? large_ : small_, r));
  }

  std::string mode_;
  double ratio_;
  std::int64_t candidates_, rerank_tokens_;
  bool rewrite_;
  std::int64_t sketch_tokens_;
  double sketch_transfer_;
  bool retrieve_;
  std::int64_t corpus_chunks_;
  std::int64_t retrievals_ = 0;
  double retrieval_s_ = 0, retrieval_j_ = 0;
};

}  // namespace

MechanismInfo pipeline_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::text("mode", "compress", "what the SLM does", {"compress", "deidentify", "sketch", "rerank"}));
  fields.push_back(Field::real("compress_ratio", 0.3, "1", "compress: sketch tokens / prompt tokens", 0.001, 1.0));
  fields.push_back(Field::text("deidentify_output", "placeholders",
                               "deidentify: SLM writes placeholders for the private tokens only, or rewrites the prompt",
                               {"placeholders", "rewrite"}));
  fields.push_back(Field::integer("sketch_tokens", 64, "tokens",
                                  "sketch: tokens of the LLM's sketch (assumption: a short outline)", 1, 1e6));
  fields.push_back(Field::real("sketch_transfer", 0.5, "1",
                               "sketch: probability the SLM's answer takes the LLM's outcome (assumption; "
                               "0 = SLM alone, 1 = LLM)",
                               0.0, 1.0));
  fields.push_back(Field::integer("candidates", 4, "1", "rerank: LLM candidate answers", 1, 64));
  fields.push_back(Field::integer("rerank_tokens", 4, "tokens", "rerank: SLM output tokens", 1, 1e6));
  fields.push_back(Field::text("retrieval", "none",
                               "dense: the origin embeds the query (all-MiniLM-L6-v2) and searches the personal corpus "
                               "first (survey 4.2), at its card's roofline",
                               {"none", "dense"}));
  fields.push_back(Field::integer("corpus_chunks", 3920, "chunks",
                                  "retrieval: chunk embeddings in the user's corpus (default: the raw Enron mailbox "
                                  "mean, 619,446 messages / 158 users, Klimt & Yang 2004, one chunk per message)",
                                  1, 1e9));
  return {"pipeline", "SLM before the LLM (compress, de-identify), after it (complete a CoGenesis sketch, re-rank candidates)",
          "CoGenesis, LSC4Rec, privacy-sensitive RAG; survey §3.1.1", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Pipeline>(cx, p); }};
}

}  // namespace collabsim
