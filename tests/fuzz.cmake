# tests/fuzz.cmake -- libFuzzer targets of common/ and proto/ parsers and of the bytes common/ renders (built with clang only; see tests/run).
# certfleet_fuzz_target(NAME LIBS...): tests/fuzz/NAME.c, seed corpus
# tests/fuzz/corpus/NAME/ (read only; new inputs go to the build tree), plus
# tests/fixtures/fuzz/NAME/ for seeds that hold test keys (keys are committed
# under tests/fixtures/ only), and a ctest labelled fuzz that runs it for CERTFLEET_FUZZ_SECONDS
# (tests/CMakeLists.txt, default 10).

function(certfleet_fuzz_target name)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		return()
	endif()
	add_executable(${name} fuzz/${name}.c)
	target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
	target_link_options(${name} PRIVATE -fsanitize=fuzzer)
	target_link_libraries(${name} PRIVATE ${ARGN})
	set(work ${CMAKE_CURRENT_BINARY_DIR}/${name}.corpus)
	file(MAKE_DIRECTORY ${work})
	set(seeds)
	if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
		list(APPEND seeds ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${name})
	endif()
	if(IS_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/fuzz/${name})
		list(APPEND seeds ${CMAKE_CURRENT_SOURCE_DIR}/fixtures/fuzz/${name})
	endif()
	add_test(NAME ${name} COMMAND ${name}
		-max_total_time=${CERTFLEET_FUZZ_SECONDS} -max_len=65536
		${work} ${seeds})
	set_tests_properties(${name} PROPERTIES LABELS fuzz TIMEOUT 120)
endfunction()

certfleet_fuzz_target(fuzz_b64 certfleet_base)
certfleet_fuzz_target(fuzz_utf8 certfleet_base)
certfleet_fuzz_target(fuzz_pem certfleet_pem)
certfleet_fuzz_target(fuzz_codec certfleet_proto)

# config.json paths of peter_sslers edges (coordinator/api/edgepath.c)
certfleet_fuzz_target(fuzz_edge_path certfleet_coordinator certfleet_hostname)
# on-demand ask bodies of edges: names per line, autocert's form (coordinator/api/edgeask.c)
certfleet_fuzz_target(fuzz_edge_ask certfleet_coordinator certfleet_hostname)
certfleet_fuzz_target(fuzz_redisurl certfleet_redisconn)
# Label values and log messages carry bytes from CAs and jobs.
certfleet_fuzz_target(fuzz_metrics_labels certfleet_metrics)
certfleet_fuzz_target(fuzz_log_line certfleet_base PkgConfig::JANSSON)

# a CA's rate-limit detail: the scope it holds (common/src/ratescope.c)
certfleet_fuzz_target(fuzz_ratescope certfleet_acme_offline)
# the NDJSON body of POST /v1/certificates:bulk (common/ndjson.c)
certfleet_fuzz_target(fuzz_ndjson certfleet_base)
# POST /v1/certificates:import: the body and the PEM certificate, chain and
# key (coordinator/results/import.c)
certfleet_fuzz_target(fuzz_import certfleet_coordinator certfleet_hostname
	PkgConfig::JANSSON)
