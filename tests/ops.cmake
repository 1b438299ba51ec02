# tests/ops.cmake -- operating the daemons: the metrics registry, JSON logs, the ops listener (unit), and /metrics, /healthz, /readyz, JSON logs and the Grafana dashboard against running daemons (integration).
certfleet_unit_test(unit_metrics unit/test_metrics.c certfleet_metrics)
certfleet_unit_test(unit_log unit/test_log.c certfleet_base
	PkgConfig::JANSSON)
certfleet_unit_test(unit_ops unit/test_ops.c certfleet_ops)

# The registry's output of every kind through promtool, the checker the
# integration test uses on the daemons (Debian's prometheus package).
add_test(NAME unit_metrics_promtool COMMAND sh -c
	"set -e; $<TARGET_FILE:unit_metrics> --print > metrics-sample.txt; promtool check metrics < metrics-sample.txt")
set_tests_properties(unit_metrics_promtool PROPERTIES LABELS unit TIMEOUT 30)

# Runs the daemons (deploy/local/daemons, 2 workers, the edge's two
# responders) with JSON logs against a database of its own, a Redis of its
# own on base+37 and a third responder on base+38/+39.
certfleet_integration_test(ops_metrics_health_logs
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ops $<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(ops_metrics_health_logs PROPERTIES TIMEOUT 300)
