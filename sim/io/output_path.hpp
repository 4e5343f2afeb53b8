#pragma once
/// \file output_path.hpp
/// Safe result paths: what an `-o` target may replace, the temporary file beside it, and
/// removing temporary files when the process is interrupted.
///
/// Results are written to `<target>.tmp-<pid>` and renamed onto the target when complete,
/// so an earlier result is never replaced by a partial one. The rename only ever replaces
/// a regular file: a directory, FIFO, socket or device node at the target is refused.

#include <filesystem>
#include <string>
#include <vector>

namespace collabsim {

/// The file that writing to `target` will replace: `target` itself, or the regular file a
/// symlink at `target` points to (a note is printed on stderr, once). Throws InputError
/// (key "-o") when `target` exists and is not a regular file or a symlink to one, or when
/// its folder cannot be created.
std::filesystem::path resolve_output_target(const std::filesystem::path& target);

/// Throws InputError (key "-o") when `target` is an existing, non-empty file that is not
/// HDF5 (a scenario, a trace, a card): a result file only ever replaces an earlier result.
void check_result_target(const std::filesystem::path& target);

/// The current time as UTC ISO 8601 ("2026-12-02T07:18:46Z"), for the `created` attribute.
std::string utc_now();

/// `<target>.tmp-<pid>`.
std::filesystem::path temp_path_for(const std::filesystem::path& target);

/// Removes `<target>.tmp-<pid>` files beside `target` whose process no longer exists
/// (left by a killed run), reporting each on stderr. Returns how many were removed.
int remove_stale_temps(const std::filesystem::path& target);

/// Registers a temporary file to be unlinked if the process receives SIGINT, SIGTERM or
/// SIGHUP before unregister_temp(); installs the handlers on first use. The handler
/// unlinks every registered file and re-raises the signal with its default action (so the
/// exit status says "killed by signal"). At most 256 files at once (further registrations
/// are still removed on normal and error paths by their owners, not by the handler).
/// This registry is the one piece of process-wide state in collabsim: a signal handler
/// can reach nothing else.
void register_temp(const std::filesystem::path& path);
void unregister_temp(const std::filesystem::path& path);

/// A note for the same handler to write on stderr before it re-raises: "\n" + `prefix` +
/// the count last set by set_interrupt_count + `suffix` (e.g. "interrupted: " 7 " of 33
/// points are kept in x.h5.parts; ..."), so a stopped sweep says what it kept and how to
/// resume. Each text is cut to 1,023 bytes. Installs the handlers on first use; part of the
/// same process-wide registry as register_temp (the handler can reach nothing else).
void set_interrupt_note(const std::string& prefix, const std::string& suffix, std::size_t count);
/// The count the note prints (e.g. points whose part files are written).
void set_interrupt_count(std::size_t count);
/// No note any more (the work it described finished or failed otherwise).
void clear_interrupt_note();

}  // namespace collabsim

namespace collabsim {
/// Writes `bytes` to `target` through `<target>.tmp-<pid>` and a rename, so `target` is
/// either its old content or all of `bytes`. Throws InputError as resolve_output_target,
/// std::runtime_error when writing fails.
void write_file_atomically(const std::filesystem::path& target, const std::vector<unsigned char>& bytes);
}  // namespace collabsim
