# Regenerates collabsim/version.hpp at every build so result files record the commit the
# binary was built from (not the one at configure time). Writes only when it changed.
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY ${SRC}
                OUTPUT_VARIABLE COLLABSIM_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT COLLABSIM_GIT_COMMIT)
  set(COLLABSIM_GIT_COMMIT "unknown")
endif()
set(PROJECT_VERSION ${VERSION})
configure_file(${SRC}/sim/core/version.hpp.in ${OUT}.tmp @ONLY)
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
