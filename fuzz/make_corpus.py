#!/usr/bin/env python3
"""Writes the fuzz seed corpora (fuzz/corpus/<harness>/) and the regression corpora
(fuzz/regression/<harness>/: every crashing, hanging or wrongly-accepted input of issue 10,
as a file the harness reads). Deterministic; run from anywhere:  python3 fuzz/make_corpus.py

Seeds are generated from the shipped scenarios (scenarios/*.toml, with --set-like edits)
and small hand-written snippets; nothing is copied from the shared data folder. Files
found by a fuzzing session are added to regression/ by hand (named after what they do).
"""
import pathlib
import struct

ROOT = pathlib.Path(__file__).resolve().parent
REPO = ROOT.parent


def write(kind, harness, name, data):
    d = ROOT / kind / harness
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def edit(text, old, new):
    assert old in text, old
    return text.replace(old, new, 1)


# ---------------------------------------------------------------- scenario
base = (REPO / "scenarios" / "edge_cloud_cascade.toml").read_text()
for s in ["edge_cloud_cascade", "offline_fallback_outages", "mixllm_bandit", "frugalgpt_three_stage",
          "speculative_edge_cloud", "fusion_ensemble"]:
    write("corpus", "scenario", s + ".toml", (REPO / "scenarios" / (s + ".toml")).read_text())
write("corpus", "scenario", "minimal.toml", """[workload]
trace = "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv"
origin = "phone"
[quality]
table = "quality/mmlu_pro/mmlu_pro_30models_matrix.csv"
[devices.phone]
card = "iphone_15_pro"
[deployments.slm]
model = "phi-3-mini"
device = "phone"
[mechanism]
name = "small_only"
""")

regress = {
    "latency_1e308_ms": ('latency = "40 ms"', 'latency = "1e308 ms"'),
    "jitter_inf_ms": ('latency = "40 ms"', 'latency = "40 ms"\njitter = "inf ms"'),
    "peak_flops_1e-300": ('accelerators = 4', 'accelerators = 4\npeak_flops = "1e-300 FLOP/s"'),
    "timeout_inf_s": ('origin = "phone"', 'origin = "phone"\ntimeout = "inf s"'),
    "rate_scale_1e-7": ('origin = "phone"', 'origin = "phone"\nrate_scale = 1e-7'),
    "sample_interval_1ns": ('seed = 2026', 'seed = 2026\nsample_interval = "1e-9 s"'),
    "run_name_escape": ('name = "edge_cloud_cascade"', 'name = "../../escape"'),
    "model_is_a_path": ('model = "llama-3.1-70b"', 'model = "../devices/h100_sxm"'),
    "card_is_a_path": ('card = "h100_sxm"', 'card = "/etc/passwd"'),
    "trace_dev_zero": ('trace = "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv"', 'trace = "/dev/zero"'),
    "trace_etc_passwd": ('trace = "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv"',
                         'trace = "../../../../../../etc/passwd"'),
    "trace_is_a_directory": ('trace = "traces/azure_llm_2023/AzureLLMInferenceTrace_conv.csv"', 'trace = "/tmp"'),
    "duplicate_stages": ('stages = ["slm", "llm"]', 'stages = ["slm", "slm"]'),
    "replicas_inf": ('replicas = 2', 'replicas = inf'),
    "replicas_1e300": ('replicas = 2', 'replicas = 1e300'),
    "accelerators_0": ('accelerators = 4', 'accelerators = 0'),
    "price_inf": ('price_input = "0.88 USD/Mtok"', 'price_input = "inf USD/Mtok"'),
    "radio_energy_inf": ('radio_energy_up = "438 nJ/bit"', 'radio_energy_up = "inf nJ/bit"'),
    "busy_power_nan": ('accelerators = 4', 'accelerators = 4\nbusy_power = "nan W"'),
    "unused_mechanism_bad_value": ('p = 0.5', 'p = 2.0'),
    "unused_mechanism_typo": ('[mechanism.random]', '[mechanism.randon]'),
    "offline_deadline_inf": ('[mechanism.random]', '[mechanism.offline_fallback]\ndeadline = "inf s"\n\n[mechanism.random]'),
    "bandit_duplicate_arms": ('[mechanism.random]', '[mechanism.bandit]\narms = ["llm", "llm"]\n\n[mechanism.random]'),
    "thresholds_scalar": ('thresholds = [0.5]', 'thresholds = 0.3'),
    "thresholds_nan": ('thresholds = [0.5]', 'thresholds = [nan]'),
    "section_typo": ('[workload]', '[workloda]'),
    "mechanism_name_typo": ('name = "cascade"', 'name = "cascde"'),
    "mtbf_huge": ('latency = "40 ms"', 'latency = "40 ms"\nmtbf = "1e300 h"\nmttr = "1 s"'),
    "seed_inf": ('seed = 2026', 'seed = inf'),
    "max_sim_time_inf": ('seed = 2026', 'seed = 2026\nmax_sim_time = "inf s"'),
}
for name, (old, new) in regress.items():
    write("regression", "scenario", name + ".toml", edit(base, old, new))
write("regression", "scenario", "empty.toml", "")
write("regression", "scenario", "binary.toml", bytes(range(256)))
write("regression", "scenario", "deep_inline_tables.toml", "a = " + "{b = " * 2000 + "1" + "}" * 2000 + "\n")

# ---------------------------------------------------------------- azure
H = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
write("corpus", "azure", "three_rows.csv", H + "2023-11-16 18:15:46.6805900,374,44\n"
      "2023-11-16 18:15:50.9951690,396,109\n2023-11-16 18:15:51.0000000,100,10\n")
write("corpus", "azure", "crlf_bom.csv", b"\xef\xbb\xbf" + (H.replace("\n", "\r\n") + "2024-02-29 00:00:00,1,1\r\n").encode())
write("corpus", "azure", "no_fraction.csv", H + "2023-11-16 18:15:46,10,10\n\n2023-11-16 18:15:46,0,0\n")
for name, rows in {
    "nov_31": "2023-11-31 10:00:00,10,10\n",
    "feb_29_non_leap": "2023-02-29 10:00:00,10,10\n",
    "year_9999": "2023-11-16 18:15:46,10,10\n9999-12-31 23:59:59.9999999,10,10\n",
    "tokens_1e12": "2023-11-16 18:15:46,1000000000000,10\n",
    "output_1e7_plus": "2023-11-16 18:15:46,10,10000001\n",
    "ten_year_gap": "2023-11-16 18:15:46,10,10\n2063-11-16 18:15:46,10,10\n",
    "negative_tokens": "2023-11-16 18:15:46,-5,10\n",
    "backwards": "2023-11-16 18:15:46,10,10\n2023-11-16 18:15:45,10,10\n",
    "int64_overflow": "2023-11-16 18:15:46,99999999999999999999,10\n",
    "four_fields": "2023-11-16 18:15:46,1,2,3\n",
}.items():
    write("regression", "azure", name + ".csv", H + rows)
write("regression", "azure", "empty.csv", "")
write("regression", "azure", "header_only.csv", H)
write("regression", "azure", "etc_passwd.csv", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
write("regression", "azure", "no_newline_long.csv", H + "2" * 20000)

# ---------------------------------------------------------------- mooncake
ok = '{"timestamp": 0, "input_length": 6755, "output_length": 500, "hash_ids": [0, 1, 2, 3]}'
write("corpus", "mooncake", "two_lines.jsonl", ok + "\n" + ok.replace('"timestamp": 0', '"timestamp": 27') + "\n")
write("corpus", "mooncake", "no_hash.jsonl", '{"timestamp": 5, "input_length": 1, "output_length": 1}\n')
for name, text in {
    "trailing_garbage": ok + " xyz\n",
    "two_objects": ok + ok + "\n",
    "timestamp_1e13_ms": ok + "\n" + ok.replace('"timestamp": 0', '"timestamp": 10000000000000') + "\n",
    "tokens_1e12": ok.replace("6755", "1000000000000") + "\n",
    "duplicate_key": '{"timestamp": 0, "timestamp": 9, "input_length": 1, "output_length": 1}\n',
    "huge_integer": '{"timestamp": 99999999999999999999, "input_length": 1, "output_length": 1}\n',
    "fraction": '{"timestamp": 1.5, "input_length": 1, "output_length": 1}\n',
    "unterminated": '{"timestamp": 0, "input_len',
    "many_hash_ids": '{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [' +
                     ", ".join(str(i) for i in range(10000)) + "]}\n",
    "blank_only": "\n   \n\t\n",
}.items():
    write("regression", "mooncake", name + ".jsonl", text)
write("regression", "mooncake", "empty.jsonl", "")

# ---------------------------------------------------------------- quality
QH = "question_id,category,answer,A,A|pred,A|out_chars,B,B|pred\n"
write("corpus", "quality", "small.csv", QH + "1,math,C,1,C,120,0,D\n2,law,A,0,B,80,1,A\n3,law,B,,,,1,B\n")
write("corpus", "quality", "quoted.csv", 'question_id,"A","B"\n1,"0.5",1\n2,0,"1"\n')
for name, text in {
    "nan_cell": "question_id,A,B\n1,0.5,1\n2,nan,1\n",
    "inf_cell": "question_id,A,B\n1,inf,1\n",
    "duplicate_ids": "question_id,A,B\n1,0.5,1\n1,1,1\n",
    "duplicate_model_column": "question_id,A,B,A\n1,0.5,1,0\n",
    "header_only": "question_id,A,B\n",
    "all_blank": "question_id,A,B\n1,,1\n2,,0\n",
    "all_nan": "question_id,A,B\n1,nan,1\n2,nan,0\n",
    "score_above_one": "question_id,A,B\n1,1.5,1\n",
    "ragged_row": "question_id,A,B\n1,0.5\n",
    "unterminated_quote": 'question_id,A,B\n1,"0.5,1\n',
    "etc_passwd": "root:x:0:0:root:/root:/bin/bash\n",
}.items():
    write("regression", "quality", name + ".csv", text)
write("regression", "quality", "empty.csv", "")

# ---------------------------------------------------------------- questions
Q = '{"question_id": 1, "category": "math", "src": "x", "question": "What is 2+2?", "options": ["3", "4"], "answer": "B", "answer_index": 1, "cot_content": ""}'
write("corpus", "questions", "one.jsonl", Q + "\n" + Q.replace('"question_id": 1', '"question_id": 2') + "\n")
write("corpus", "questions", "escapes.jsonl", '{"question_id": 3, "question": "caf\\u00e9 \\ud83d\\ude00 \\"q\\"\\n", "options": []}\n')
for name, text in {
    "duplicate_id": Q + "\n" + Q + "\n",
    "trailing_garbage": Q + "{}\n",
    "deep_nesting": '{"question_id": 1, "x": ' + "[" * 5000 + "\n",
    "bad_surrogate": '{"question_id": 1, "question": "\\ud800\\u0041"}\n',
    "unterminated_string": '{"question_id": 1, "question": "abc\n',
    "numeric_array": '{"question_id": 1, "x": [1, 2, 3], "options": ["a"]}\n',
}.items():
    write("regression", "questions", name + ".jsonl", text)


# ---------------------------------------------------------------- weights (structured bytes)
# Layout read by fuzz::weights (fuzz/harnesses.cpp): flags (bits 0-1 kind logistic/mlp/""/
# transformer, 2 label quality_gap, 3 W1/b1 for a logistic, 4 fuzzed seed, 5 fuzzed b2, 6 no
# hash_bits, 7 no kind), hash_bits byte (value - 4, or
# 0x80 + 8-byte double), categories (length byte + bytes), [b2 f64 if flags & 0x20],
# [seed f64 if flags & 0x10], hidden byte (1 + b % 8), then per dataset (w2, then W1 and b1
# for an MLP or flags & 0x08): shape byte (< 160 declared, 160..199 rows ± delta byte,
# 200..229 transposed, ≥ 230 two bytes of free shape), special byte (> 240: NaN/inf at a
# u32 index), fill count byte (+ u32 index and a value byte each), rank byte (% 8 == 0: 1-D).
def ds(shape=0, extra=b"", special=0, index=0, rank=1):
    out = bytes([shape]) + extra + bytes([special])
    if special > 240:
        out += struct.pack("<I", index)
    return out + bytes([0, rank])


def weights(flags, bits, cats=b"math\nlaw", hidden=0, sets=(), b2=None, hb_double=None):
    out = bytes([flags])
    out += bytes([0x80]) + struct.pack("<d", hb_double) if hb_double is not None else bytes([bits + 4])
    out += bytes([len(cats)]) + cats
    if b2 is not None:
        out += struct.pack("<d", b2)
    out += bytes([hidden])
    for s in sets:
        out += s
    return out


write("corpus", "weights", "logistic.bin", weights(0, 4, sets=[ds()]))
write("corpus", "weights", "mlp.bin", weights(1, 5, hidden=3, sets=[ds(), ds(), ds()]))
write("corpus", "weights", "quality_gap_mlp.bin", weights(1 | (1 << 2), 3, hidden=7, sets=[ds(), ds(), ds()]))
for name, data in {
    "w2_cut_in_half": weights(0, 4, sets=[ds(230, bytes([10, 1]))]),
    "w2_one_short": weights(0, 4, sets=[ds(170, bytes([1]))]),
    "hash_bits_26": weights(0, 26, sets=[ds()]),
    "hash_bits_31": weights(0, 31, sets=[ds()]),
    "hash_bits_minus_1": weights(0, -1, sets=[ds()]),
    "hash_bits_nan": weights(0, 0, hb_double=float("nan"), sets=[ds()]),
    "hash_bits_1e300": weights(0, 0, hb_double=1e300, sets=[ds()]),
    "mlp_w1_extra_rows": weights(1, 4, hidden=3, sets=[ds(), ds(170, bytes([4])), ds()]),
    "mlp_w1_transposed": weights(1, 4, hidden=3, sets=[ds(), ds(210), ds()]),
    "mlp_b1_short": weights(1, 4, hidden=3, sets=[ds(), ds(), ds(170, bytes([0]))]),
    "w2_nan": weights(0, 4, sets=[ds(special=251, index=3)]),
    "w2_inf": weights(0, 4, sets=[ds(special=250, index=0)]),
    "w1_nan": weights(1, 4, hidden=2, sets=[ds(), ds(special=251, index=7), ds()]),
    "unknown_kind": weights(3, 4, sets=[ds()]),
    "missing_kind": weights(0x80, 4, sets=[ds()]),
    "missing_hash_bits": weights(0x40, 4, sets=[ds()]),
    "b2_inf": weights(0x20, 4, b2=float("inf"), sets=[ds()]),
    "logistic_with_w1": weights(0x08, 4, hidden=2, sets=[ds(), ds(), ds()]),
    "w2_rank_1": weights(0, 4, sets=[ds(rank=8)]),
    "empty": b"",
}.items():
    write("regression", "weights", name + ".bin", data)


# ---------------------------------------------------------------- result_file / resume_part (structured bytes)
# Encoders mirroring fuzz/harnesses_results.cpp (build_result, put_attr, put_table); the byte
# order is the order the harness reads them.
ATTRS = ["file_kind", "schema_version", "sweep_axes", "scenario", "mechanism", "seed", "scenario_name",
         "git_commit", "units", "calibrated_value", "point_spec_sha256", "sweep_inputs_sha256", "scenario_source",
         "created"]
FIELDS = ["request_id", "start_s", "end_s", "track", "kind", "deployment", "arrival_s", "latency_s", "ttft_s",
          "status", "route", "quality", "prompt_tokens", "output_tokens", "quality_mean", "latency_p99_s", "n_seeds",
          "seed_index", "x", "role", "path", "bytes", "sha256", "quality_mean_mean", "n_requests"]
TEXTS = ["run", "sweep", "x", "quality_mean", "x\nquality_mean", "", "H", "cascade"]
TABLES = ["summary", "requests", "spans", "inputs", "sweep/points", "sweep/aggregate", "devices/cloud"]
I8, I32, I64, U64, F32, F64, FIXED, VLEN = range(8)


def text_attr(value, n=None):
    """A variable-length text attribute: scalar (n None) or 1-D of n copies."""
    how = 0 if n is None else 0x80
    out = bytes([how]) + (bytes([n]) if n is not None else b"")
    for _ in range(1 if n is None else n):
        out += bytes([1, TEXTS.index(value)])
    return out


def int_attr(values, rank1=False):
    how = 2 | (0x80 if rank1 or len(values) != 1 else 0)
    out = bytes([how]) + (bytes([len(values)]) if how & 0x80 else b"")
    for v in values:
        out += struct.pack("<I", (v + 8) & 0xffffffff)
    return out + bytes([0])  # int64


def attrs(*pairs):
    out = bytes([len(pairs)])
    for name, enc in pairs:
        out += bytes([ATTRS.index(name)]) + enc
    return out


def value(t, v):
    if t == VLEN:
        return bytes([1, TEXTS.index(v)])
    if t == F64:
        return bytes([0]) + struct.pack("<d", v)
    if t == F32:
        return struct.pack("<f", v)
    if t in (I8,):
        return struct.pack("<b", v)
    if t == I32:
        return struct.pack("<i", v)
    if t in (I64, U64):
        return struct.pack("<q", v)
    raise ValueError(t)


def table(fields, rows, how=0, units=None):
    """fields: [(name, type)], rows: list of tuples; how % 16: 1 rank 2, 2 scalar, 3 float array."""
    out = bytes([how, len(rows) if how % 16 != 1 else len(rows) // 2, len(fields) - 1])
    for name, t in fields:
        out += bytes([0, FIELDS.index(name), t])
    for r in rows:
        for (name, t), v in zip(fields, r):
            out += value(t, v)
    return out + (bytes([1]) + units if units is not None else bytes([0]))


def result(attr_bytes, tables):
    out = attr_bytes
    for t in TABLES:
        out += (bytes([1]) + tables[t]) if t in tables else bytes([0])
    return out


run_summary = table([("quality_mean", F64), ("latency_p99_s", F64), ("n_requests", I64)], [(0.5, 2.0, 3)])
spans = table([("request_id", I64), ("start_s", F64), ("end_s", F64), ("track", VLEN), ("kind", VLEN),
               ("deployment", VLEN)], [(0, 0.0, 1.0, "x", "run", ""), (1, 0.5, 2.0, "x", "run", "")])
reqs = table([(f, F64) for f in ["request_id", "arrival_s", "latency_s", "ttft_s", "status", "route", "quality",
                                 "prompt_tokens", "output_tokens"]], [(0, 0, 1, 0.5, 0, 0, 1, 10, 5),
                                                                     (1, 0.5, 1.5, 0.7, 0, 1, 0, 8, 4)])
agg = table([("x", F64), ("n_seeds", I64), ("quality_mean_mean", F64)], [(1.0, 1, 0.5), (2.0, 1, 0.6)])
pts = table([("seed_index", I64), ("status", I64), ("x", F64), ("quality_mean", F64)],
            [(0, 0, 1.0, 0.5), (0, 0, 2.0, 0.6)])
write("corpus", "result_file", "run.bin", result(attrs(("file_kind", text_attr("run"))), {"summary": run_summary}))
write("corpus", "result_file", "run_with_spans.bin",
      result(attrs(("file_kind", text_attr("run"))), {"summary": run_summary, "requests": reqs, "spans": spans}))
write("corpus", "result_file", "sweep.bin",
      result(attrs(("file_kind", text_attr("sweep")), ("sweep_axes", text_attr("x"))),
             {"sweep/points": pts, "sweep/aggregate": agg}))
for name, data in {
    # C2: a root attribute of 100 integers (was read into one int64_t)
    "c2_attr_of_100_ints": result(attrs(("file_kind", text_attr("run")), ("seed", int_attr(list(range(100))))),
                                  {"summary": run_summary}),
    # C3: 2-D /summary, /spans; a 2-D units attribute
    "c3_summary_rank_2": result(attrs(("file_kind", text_attr("run"))),
                                {"summary": table([("quality_mean", F64)], [(0.5,), (0.6,)], how=1)}),
    "c3_spans_rank_2": result(attrs(("file_kind", text_attr("run"))),
                              {"summary": run_summary, "requests": reqs,
                               "spans": table([("request_id", I64)], [(0,), (1,)], how=1)}),
    "c3_units_rank_2": result(attrs(("file_kind", text_attr("run"))),
                              {"summary": table([("quality_mean", F64)], [(0.5,)],
                                                units=bytes([0x30 | 1, 2, 2, 3]) + b"abcdefghijkl")}),
    # C4: a zero-element text attribute
    "c4_zero_element_text": result(attrs(("file_kind", text_attr("run")), ("mechanism", bytes([0x80, 0]))),
                                   {"summary": run_summary}),
    # C5: sweep_axes naming a missing field, a metric, or stored as an integer
    "c5_axes_missing_field": result(attrs(("file_kind", text_attr("sweep")), ("sweep_axes", text_attr("cascade"))),
                                    {"sweep/points": pts, "sweep/aggregate": agg}),
    "c5_axes_metric": result(attrs(("file_kind", text_attr("sweep")), ("sweep_axes", text_attr("quality_mean"))),
                             {"sweep/points": pts, "sweep/aggregate": agg}),
    "c5_axes_integer": result(attrs(("file_kind", text_attr("sweep")), ("sweep_axes", int_attr([7]))),
                              {"sweep/points": pts, "sweep/aggregate": agg}),
    # W9: float32 and int32 /summary fields
    "w9_float32_summary": result(attrs(("file_kind", text_attr("run"))),
                                 {"summary": table([("quality_mean", F32), ("n_requests", I32)], [(0.625, 300)])}),
    # a dataspace declaring 2^40 rows (nothing stored)
    "huge_extent": result(attrs(("file_kind", text_attr("run"))),
                          {"summary": bytes([0xff, 0, 0, 0, FIELDS.index("quality_mean"), F64, 0])}),
    # spans with a NaN start
    "spans_nan": result(attrs(("file_kind", text_attr("run"))),
                        {"summary": run_summary, "requests": reqs,
                         "spans": table([("request_id", I64), ("start_s", F64), ("end_s", F64), ("track", VLEN),
                                         ("kind", VLEN), ("deployment", VLEN)],
                                        [(0, float("nan"), 1.0, "x", "run", "")])}),
    # schema_version newer than this build
    "schema_from_the_future": result(attrs(("file_kind", text_attr("run")), ("schema_version", int_attr([99]))),
                                     {"summary": run_summary}),
    "empty": b"",
}.items():
    write("regression", "result_file", name + ".bin", data)

# resume_part: how (bit 0: a valid name p00000N.h5 for N = next byte % 6, else fuzzed text) + a result file
def part(index_byte, attr_bytes, tables, name=None):
    head = bytes([1, index_byte]) if name is None else bytes([0, len(name)]) + name
    return head + result(attr_bytes, tables)


good_part = attrs(("point_spec_sha256", text_attr("H")), ("sweep_inputs_sha256", text_attr("H")))
write("corpus", "resume_part", "good_part.bin", part(0, good_part, {"summary": run_summary}))
for name, data in {
    # W5: a stray name, a part of another point/run, a part with a text or empty /summary
    "w5_stray_name_plus": part(0, good_part, {"summary": run_summary}, name=b"p+00003.h5"),
    "w5_short_name": part(0, good_part, {"summary": run_summary}, name=b"p00003.h5"),
    "w5_foreign_part": part(1, attrs(("point_spec_sha256", text_attr("x")), ("sweep_inputs_sha256", text_attr("H"))),
                            {"summary": run_summary}),
    "w5_no_hashes": part(0, attrs(("file_kind", text_attr("run"))), {"summary": run_summary}),
    "w5_text_summary": part(0, good_part, {"summary": table([("quality_mean", VLEN)], [("x",)])}),
    "w5_empty_summary": part(0, good_part, {"summary": table([("quality_mean", F64)], [])}),
    "w5_index_outside_plan": part(5, good_part, {"summary": run_summary}),
}.items():
    write("regression", "resume_part", name + ".bin", data)

# ---------------------------------------------------------------- sweep_spec (text)
write("corpus", "sweep_spec", "grid_args.txt", "g:workload.rate_scale=1,2,4\ng:mechanism.name=cascade,router\n")
write("corpus", "sweep_spec", "range.txt", "g:mechanism.cascade.thresholds=0:1:0.1\n")
write("corpus", "sweep_spec", "table.txt", """[sweep]
mode = "grid"
seeds = 3
"workload.rate_scale" = [1, 2, 4]
mechanism.cascade.thresholds = { from = 0.1, to = 0.9, step = 0.2 }
skip = [{ "workload.rate_scale" = 4 }]
""")
write("corpus", "sweep_spec", "zip.txt", """[sweep]
mode = "zip"
"a.b" = [1, 2]
"c.d" = ["x", "y"]
""")
for name, data in {
    # W7: integer ranges in exact arithmetic
    "w7_seed_past_2_53": "g:run.seed=9007199254740993:9007199254740995:1\n",
    "w7_table_int_range": "[sweep]\nrun.seed = { from = 9007199254740993, to = 9007199254740995, step = 1 }\n",
    "int64_extremes": "g:run.seed=-9223372036854775807:9223372036854775807:9223372036854775807\n",
    "int_past_int64": "g:run.seed=0:99999999999999999999:1\n",
    # M1: a 10^7-point grid is refused before it is expanded
    "m1_ten_million_points": "g:a=0:9999:1\ng:b=0:999:1\n",
    "m1_zip_times_seeds": "[sweep]\nmode = \"zip\"\nseeds = 50\n\"a\" = { from = 0, to = 99999, step = 1 }\n",
    "empty_range": "g:a=1:0:1\n",
    "zero_step": "g:a=0:1:0\n",
    "empty": "",
}.items():
    write("regression", "sweep_spec", name + ".txt", data)

# ---------------------------------------------------------------- golden (TOML; scenario "s.toml" exists)
golden_head = '[[case]]\nname = "c"\nscenario = "s.toml"\n[case.metrics]\n'
write("corpus", "golden", "inline.toml", golden_head + 'quality_mean = { value = 0.5, tol = 0.005 }\n'
                                                      'latency_p99_s = { tol = "3%" }\n')
write("corpus", "golden", "tables.toml", '[[case]]\nname = "c"\nscenario = "s.toml"\n'
                                         '[case.metrics.quality_mean]\ntol = 0.01\n')
for name, data in {
    # W4: dotted metric keys (--update wrote `value = X` into [case.metrics])
    "w4_dotted_keys": golden_head + "quality_mean.tol = 0.005\nlatency_p99_s.tol = \"3%\"\n",
    "w4_dotted_with_value": golden_head + "quality_mean.value = 0.5\nquality_mean.tol = 0.005\n",
    # W4: NaN is never a golden value
    "w4_nan_value": golden_head + "quality_mean = { value = nan }\n",
    "w4_inf_value": golden_head + "quality_mean = { value = -inf }\n",
    "empty_inline": golden_head + "quality_mean = {}\n",
    "empty": "",
}.items():
    write("regression", "golden", name + ".toml", data)

print("corpora written under", ROOT)
