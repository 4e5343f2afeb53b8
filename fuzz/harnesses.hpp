#pragma once
/// \file harnesses.hpp
/// Fuzz harness entry points, one per input parser. Each takes the raw bytes of one input,
/// feeds them to the parser exactly as a user's file would be (through a temp file) and
/// returns 0. A clean rejection (collabsim::InputError) is the expected outcome for bad
/// input and is swallowed; anything else — a sanitizer report, a crash, another exception,
/// a hang — is a finding. The same functions are linked into the libFuzzer targets
/// (fuzz_<name>.cpp, built with COLLABSIM_FUZZ=ON and clang) and into the plain replay
/// driver (replay.cpp) that CTest runs over the regression corpora in the normal build.

#include <cstddef>
#include <cstdint>
#include <string>

namespace collabsim::fuzz {

/// Scenario TOML → load_scenario (cards from the repository's models/, mechanism parameters included).
int scenario(const std::uint8_t* data, std::size_t size);
/// Azure LLM trace CSV → AzureTraceReader, every row.
int azure(const std::uint8_t* data, std::size_t size);
/// Mooncake JSONL → MooncakeTraceReader, every line.
int mooncake(const std::uint8_t* data, std::size_t size);
/// Wide quality CSV → QualityTable::load_wide_csv for the models named "A" and "B".
int quality(const std::uint8_t* data, std::size_t size);
/// Structured router weights: the bytes choose attributes and dataset shapes/values, an
/// HDF5 file is written from them and RouterKernel::load (then score) reads it back.
int weights(const std::uint8_t* data, std::size_t size);
/// MMLU-Pro style question JSONL → QuestionCorpus::load.
int questions(const std::uint8_t* data, std::size_t size);

/// Structured result file: the bytes choose root attributes (class, shape, element count,
/// text) and tables (/summary, /requests, /spans, /inputs, /sweep/*: rank, field names and
/// types, rows, values, `units`); the file goes through inspect, read_result_set + compare
/// with itself, and trace-export, all on the checked reader (issue 23).
int result_file(const std::uint8_t* data, std::size_t size);
/// Sweep specifications: `g:<arg>` lines are --grid arguments, the rest a scenario's TOML
/// with a [sweep] table → sweep_from_table, parse_grid_argument, expand_combos.
int sweep_spec(const std::uint8_t* data, std::size_t size);
/// Golden file TOML → read_golden; a valid file must survive updated_golden_text (what
/// `check --update` writes reads back).
int golden(const std::uint8_t* data, std::size_t size);
/// A resumed sweep's part: a fuzzed file name and a structured part file → parse_part_name
/// and scan_parts (which parts are kept, rerun or ignored).
int resume_part(const std::uint8_t* data, std::size_t size);

/// Harness by name ("scenario", "azure", ...); nullptr when unknown.
using Entry = int (*)(const std::uint8_t*, std::size_t);
Entry find(const std::string& name);

}  // namespace collabsim::fuzz
