# tests/ops.cmake -- operating the daemons: the metrics registry, JSON logs, the ops listener, the Prometheus alerting rules (unit), and /metrics, /healthz, /readyz, JSON logs, the Grafana dashboard and the rules' metric names against running daemons (integration).
certfleet_unit_test(unit_metrics unit/test_metrics.c certfleet_metrics)
certfleet_unit_test(unit_log unit/test_log.c certfleet_base
	PkgConfig::JANSSON)
certfleet_unit_test(unit_ops unit/test_ops.c certfleet_ops)

# The registry's output of every kind through promtool, the checker the
# integration test uses on the daemons (Debian's prometheus package).
add_test(NAME unit_metrics_promtool COMMAND sh -c
	"set -e; $<TARGET_FILE:unit_metrics> --print > metrics-sample.txt; promtool check metrics < metrics-sample.txt")
set_tests_properties(unit_metrics_promtool PROPERTIES LABELS unit TIMEOUT 30)

# deploy/prometheus/certfleet-alerts.yml: valid rules, and each alert firing
# (or not) as its unit tests say (promtool's rule tests, synthetic series).
add_test(NAME prometheus_alerts COMMAND sh -c
	"set -e; promtool check rules certfleet-alerts.yml; promtool test rules certfleet-alerts.test.yml"
	WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/prometheus)
set_tests_properties(prometheus_alerts PROPERTIES LABELS unit TIMEOUT 30)

# Runs the daemons (deploy/local/daemons, 2 workers, the edge's two
# responders) with JSON logs against a database of its own, a Redis of its
# own on base+37 and a third responder on base+38/+39.
certfleet_integration_test(ops_metrics_health_logs
	${CMAKE_CURRENT_SOURCE_DIR}/integration/test_ops $<TARGET_FILE_DIR:certfleet-worker>)
set_tests_properties(ops_metrics_health_logs PROPERTIES TIMEOUT 300)
