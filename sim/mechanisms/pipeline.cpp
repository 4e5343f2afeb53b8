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
///    (workload.private_share × prompt tokens, at least 1), which replace the private
///    spans, as span-tagging de-identifiers do (e.g. Microsoft Presidio's
///    detect-then-replace); with "rewrite" it regenerates the whole prompt. The same number
///    of tokens travel, none of them private (`private_tokens_sent` stays 0, where
///    large_only sends workload.private_share of every prompt).
///  - "rerank": the LLM generates `candidates` answers, the SLM re-ranks them on the
///    device (LSC4Rec): the LLM pays candidates × output tokens, the SLM reads them all and
///    writes `rerank_tokens`; the chosen answer's quality is the LLM's.

#include <cmath>

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
        rewrite_(p.text("deidentify_output") == "rewrite") {}

  Task<void> serve(const Request& r, RequestRecord& rec) override {
    if (mode_ == "rerank") {
      Answer llm = co_await cx_.ask_tokens(large_, r, rec, r.prompt_tokens, r.output_tokens * candidates_);
      if (llm.timed_out || llm.generation.failed) co_return cx_.finish(r, rec, llm, Route::large(), false);
      const Answer pick = co_await cx_.ask_tokens(small_, r, rec, r.output_tokens * candidates_, rerank_tokens_);
      llm.first_token_at_user = llm.done_at_user = std::max(llm.done_at_user, pick.done_at_user);
      co_return cx_.finish(r, rec, llm, Route::large(), false);
    }
    std::int64_t sent = r.prompt_tokens, written = r.prompt_tokens;
    if (mode_ == "compress")
      sent = written = std::max<std::int64_t>(1, std::llround(ratio_ * static_cast<double>(r.prompt_tokens)));
    else if (!rewrite_)
      written = std::max<std::int64_t>(
          1, std::llround(cx_.scenario().workload.private_share * static_cast<double>(r.prompt_tokens)));
    // The SLM reads the prompt and writes what goes up (the sketch, the placeholders or the
    // rewritten prompt).
    co_await cx_.ask_tokens(small_, r, rec, r.prompt_tokens, written);
    const Answer a = co_await cx_.ask_tokens(large_, r, rec, sent, r.output_tokens, mode_ == "deidentify");
    cx_.finish(r, rec, a, Route::large(), false);
  }

 private:
  std::string mode_;
  double ratio_;
  std::int64_t candidates_, rerank_tokens_;
  bool rewrite_;
};

}  // namespace

MechanismInfo pipeline_info() {
  auto fields = two_model_fields();
  fields.push_back(Field::text("mode", "compress", "what the SLM does", {"compress", "deidentify", "rerank"}));
  fields.push_back(Field::real("compress_ratio", 0.3, "1", "compress: sketch tokens / prompt tokens", 0.001, 1.0));
  fields.push_back(Field::text("deidentify_output", "placeholders",
                               "deidentify: SLM writes placeholders for the private tokens only, or rewrites the prompt",
                               {"placeholders", "rewrite"}));
  fields.push_back(Field::integer("candidates", 4, "1", "rerank: LLM candidate answers", 1, 64));
  fields.push_back(Field::integer("rerank_tokens", 4, "tokens", "rerank: SLM output tokens", 1, 1e6));
  return {"pipeline", "SLM before the LLM (compress, de-identify) or after it (re-rank candidates)",
          "CoGenesis, LSC4Rec, privacy-sensitive RAG; survey §3.1.1", fields,
          [](Context& cx, const ParamSet& p) { return std::make_unique<Pipeline>(cx, p); }};
}

}  // namespace collabsim
