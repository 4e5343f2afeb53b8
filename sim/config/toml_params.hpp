#pragma once
/// \file toml_params.hpp
/// Reading declared parameters (params.hpp) from TOML tables (TOML++): the only config
/// header that includes toml++, so the model layers (hardware, network, topology,
/// workload, quality, kernels, core) never compile it.

#include <span>
#include <string>

#include <toml++/toml.h>

#include "sim/config/params.hpp"

namespace collabsim {

/// Position of a TOML node (file from the node's source, 1-based line/column).
SourcePos pos_of(const toml::node& node);

/// Validates `table` against `fields`. `context` is the dotted path of the table used in
/// messages ("mechanism", "devices.cloud"). Keys listed in `ignore` are skipped (handled
/// by the caller). Throws InputError for unknown keys (with a did-you-mean suggestion),
/// missing required keys, wrong types, bad units, non-finite numbers (inf, nan) and
/// out-of-range values; the message names the file and line the value came from.
ParamSet read_params(const toml::table& table, std::span<const Field> fields,
                     const std::string& context, std::span<const std::string> ignore = {});

/// As read_params, with `base` (e.g. a device card; may be null) under `table`: a key of
/// `table` overrides the same key of `base`. Nodes are read where they are, never copied,
/// so every message names the file and line the value came from (the card's or the
/// scenario's). Unknown keys in either table are errors.
ParamSet read_params_over(const toml::table& table, const toml::table* base, std::span<const Field> fields,
                          const std::string& context, std::span<const std::string> ignore = {});

}  // namespace collabsim
