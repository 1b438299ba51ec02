# acme.cmake -- tests of the ACME engine (common/acme*, common/jws): unit, Pebble integration and libFuzzer targets.
set(ACME_PRIVATE_INC ${PROJECT_SOURCE_DIR}/common/src)

certfleet_unit_test(unit_jws unit/test_jws.c certfleet_jws certfleet_base
	PkgConfig::CRYPTO PkgConfig::JANSSON)
certfleet_unit_test(unit_acme_problem unit/test_acme_problem.c certfleet_acme
	certfleet_base)
certfleet_unit_test(unit_acme_headers unit/test_acme_headers.c certfleet_acme
	PkgConfig::JANSSON)
certfleet_unit_test(unit_acme_engine unit/test_acme_engine.c certfleet_acme
	PkgConfig::CRYPTO)
target_include_directories(unit_acme_headers PRIVATE ${ACME_PRIVATE_INC})
certfleet_unit_test(unit_acme_csr unit/test_acme_csr.c certfleet_acme
	PkgConfig::CRYPTO)
target_include_directories(unit_acme_csr PRIVATE ${ACME_PRIVATE_INC})

add_executable(test_acme_pebble integration/test_acme_pebble.c)
target_link_libraries(test_acme_pebble PRIVATE certfleet_acme certfleet_pem
	certfleet_base PkgConfig::CRYPTO PkgConfig::CMOCKA PkgConfig::MHD)
certfleet_integration_test(acme_pebble $<TARGET_FILE:test_acme_pebble>)

# libFuzzer targets for the parsers that read a CA's bytes: only with Clang.
# The parsers' sources are compiled into each target so that libFuzzer's
# coverage instrumentation reaches them.
set(fuzz_acme_problem_SOURCES ${PROJECT_SOURCE_DIR}/common/src/acme_problem.c)
set(fuzz_acme_headers_SOURCES ${PROJECT_SOURCE_DIR}/common/src/acme_http.c
	${PROJECT_SOURCE_DIR}/common/src/b64.c)
if(CMAKE_C_COMPILER_ID MATCHES "Clang")
	foreach(target fuzz_acme_problem fuzz_acme_headers)
		add_executable(${target} fuzz/${target}.c ${${target}_SOURCES})
		target_include_directories(${target} PRIVATE ${ACME_PRIVATE_INC})
		target_compile_options(${target} PRIVATE -fsanitize=fuzzer,address)
		target_link_options(${target} PRIVATE -fsanitize=fuzzer,address)
		target_link_libraries(${target} PRIVATE certfleet_acme)
		add_test(NAME ${target}
			COMMAND ${target} -max_total_time=${CERTFLEET_FUZZ_SECONDS}
				-artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/${target}-
				${CMAKE_CURRENT_BINARY_DIR}/${target}-corpus
				${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${target})
		set_tests_properties(${target} PROPERTIES LABELS fuzz TIMEOUT 120)
		file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/${target}-corpus)
	endforeach()
endif()
