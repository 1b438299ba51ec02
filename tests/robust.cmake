# tests/robust.cmake -- protocol robustness: the fault-injecting ACME proxy, rate limits (429/503) deferred and recorded, badNonce, caps, the poll schedule, and fuzzing of the engine's JSON parsers.
add_executable(acme_fault_proxy tools/acme_fault_proxy.c)
target_link_libraries(acme_fault_proxy PRIVATE certfleet_common PkgConfig::MHD)
