# CTest labels of the GoogleTest suites (issue 22), so a label selects a quick loop or a
# stage:
#   unit         in-process tests of one component, each well under a second in Release:
#                `ctest --test-dir build -L unit` is the loop to run before landing;
#   simulation   in-process runs of scenarios or sweeps, and model fits on the shared data;
#   cli          tests that start the collabsim binary (run, sweep, compare, check, ...);
#   statistical  statistics over 10^5-10^8 samples against analytic values (queueing
#                formulas, arrival-process moments); the sanitizer stage of test.sh skips
#                this label and runs the short variants kept under `unit` instead
#                (QueueingShortRuns, the generator tests of `Generators`).
# (`golden` and `fuzz-regression` are set in tests/golden/ and fuzz/.)
#
# Every suite is in exactly one list; the CTest `test_labels` fails on a suite in no list
# (its tests still run, labelled `unlisted`), in two, or listed but gone.
# COLLABSIM_SHARED_SUITES: fixtures whose tests share expensive runs (SetUpTestSuite or a
# static cache): one CTest entry for the whole suite, so the runs happen once per process
# instead of once per test.

set(COLLABSIM_SUITES_unit
  AllReduceTable AzureTrace BandwidthSeries Calibration CalendarQueue ChunkWriter CompareMetric CompareSweeps Engine FramePool
  GeneratorKeys Generators Golden HardenAzure HardenEngine HardenMooncake HardenParams HardenQuality HardenQuestions
  HardenTime HardenTraces HardenUnits HardenWeights LinUcb MetricCatalog Metrics MooncakeTrace Outage Params
  PrefixCache ProfileCache ProfileTable Registries QualityTable QuantileSketch QuestionCorpus QueueTest QueueingShortRuns RadixEventQueue ReadLine
  InputStore PowerLaw RequestAttributes ResultsUnit Rng Roofline RowReorderBuffer Rrc SplitwiseCalibration StreamingSummary SweepSpec TextFeatures
  Tolerances TrustBounds TrustOutputs TrustSweeps Units NoisyOracle PageHinkley Recorder)
set(COLLABSIM_SUITES_simulation
  Agreement Autoscale Batching Disaggregation EndToEnd HardenRegistry HardenScenario HeterogeneousPool Irt
  KernelScoring LmPair Network Power PrefixServing QualitySources RadioNetwork RadioRun RouterAttack RouterTraining
  RunInvariants Scenarios SharedEdgeBox Spans Speculative TokenRouter TokenRoutingQuality TrustResume
  EarlyExit OfflineFirst HierarchicalPrompts DriftGuard CompromisedCascade MultiAgent UserBinding DenseRetrieval Battery Thermal
  UserSessions)
set(COLLABSIM_SUITES_cli
  BadInput Cli CompareCli GeneratorCli HardenCli ResultsCli Run ServiceTime SplitwiseProfile SummaryOnly Sweep TargetShare
  TestSupport TraceExport Trust TrustGates TrustProvenance TrustReader)
set(COLLABSIM_SUITES_statistical
  ArrivalStatistics QueueingCli QueueingValidation)
set(COLLABSIM_SHARED_SUITES CompareCli EndToEnd Speculative Trust)

set(COLLABSIM_TEST_LABELS unit simulation cli statistical)
set(collabsim_all_patterns)
set(collabsim_label_args)
foreach(label ${COLLABSIM_TEST_LABELS})
  set(patterns)
  foreach(suite ${COLLABSIM_SUITES_${label}})
    # Plain, typed (Suite/0) and instantiated (Prefix/Suite) forms of the suite's tests.
    set(suite_patterns "${suite}.*:${suite}/*:*/${suite}.*")
    list(APPEND collabsim_all_patterns "${suite_patterns}")
    if(suite IN_LIST COLLABSIM_SHARED_SUITES)
      add_test(NAME ${suite} COMMAND collabsim_tests --gtest_filter=${suite_patterns})
      set_tests_properties(${suite} PROPERTIES LABELS ${label} WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                           ENVIRONMENT "COLLABSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
    else()
      list(APPEND patterns "${suite_patterns}")
    endif()
  endforeach()
  list(JOIN patterns ":" filter)
  gtest_discover_tests(collabsim_tests TEST_FILTER "${filter}" WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                       DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS ${label} ENVIRONMENT "COLLABSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
  list(JOIN COLLABSIM_SUITES_${label} "," names)
  list(APPEND collabsim_label_args "${label}=${names}")
endforeach()
# Suites in no list still run (label `unlisted`); test_labels names them.
list(JOIN collabsim_all_patterns ":" all_filter)
gtest_discover_tests(collabsim_tests TEST_FILTER "-${all_filter}" WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                     DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS unlisted ENVIRONMENT "COLLABSIM_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
add_test(NAME test_labels COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/check_test_labels.py
         $<TARGET_FILE:collabsim_tests> ${collabsim_label_args})
set_tests_properties(test_labels PROPERTIES LABELS unit)
