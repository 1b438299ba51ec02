# Install.cmake -- the `cmake --install` layout (GNUInstallDirs): daemons, CLI, edge renderer, systemd units, nginx template, docs.
#
#   bin/                      certfleet-coordinator, certfleet-worker,
#                             certfleet-responder, certfleetctl, certfleet-edge
#   lib/systemd/system/       certfleet-coordinator.service,
#                             certfleet-worker@.service,
#                             certfleet-responder@.service
#   share/certfleet/edge/     nginx.conf.in (the edge's nginx + Lua template,
#                             rendered by certfleet-edge)
#   share/doc/certfleet/      README.md, design.md, performance-log.md, deploy.md,
#                             examples/*.env.example
#
# The units name the installed binaries by absolute path, so they are
# rendered when installing, with the prefix of that install (`cmake
# --install build --prefix DIR` gives units that run DIR/bin/...).
# EnvironmentFile= is SYSCONFDIR/certfleet/<daemon>.env: /etc/certfleet for
# the prefix /usr, PREFIX/etc/certfleet otherwise (GNUInstallDirs' rule).
include(GNUInstallDirs)

set(CERTFLEET_SYSTEMD_UNITDIR "lib/systemd/system" CACHE STRING
	"Where the systemd units go: relative to the install prefix, or absolute")

install(TARGETS certfleet-coordinator certfleet-worker certfleet-responder
	certfleetctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/edge/certfleet-edge
	DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/edge/nginx.conf.in
	${PROJECT_SOURCE_DIR}/deploy/edge/certfleet_edge.lua
	${PROJECT_SOURCE_DIR}/deploy/edge/certfleet_ondemand.lua
	DESTINATION ${CMAKE_INSTALL_DATADIR}/certfleet/edge)
install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/docs/design.md
	${PROJECT_SOURCE_DIR}/docs/performance-log.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(FILES ${PROJECT_SOURCE_DIR}/deploy/README.md
	DESTINATION ${CMAKE_INSTALL_DOCDIR} RENAME deploy.md)
file(GLOB CERTFLEET_ENV_EXAMPLES ${PROJECT_SOURCE_DIR}/deploy/systemd/*.env.example)
install(FILES ${CERTFLEET_ENV_EXAMPLES} DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples)

# Rendered at install time (cmake/InstallUnits.cmake), with these values of
# the configure step.
file(GLOB CERTFLEET_UNIT_TEMPLATES ${PROJECT_SOURCE_DIR}/deploy/systemd/*.service.in)
install(CODE "
	set(CERTFLEET_UNIT_TEMPLATES \"${CERTFLEET_UNIT_TEMPLATES}\")
	set(CERTFLEET_UNIT_WORKDIR \"${CMAKE_BINARY_DIR}/systemd-units\")
	set(CERTFLEET_UNIT_BINDIR \"${CMAKE_INSTALL_BINDIR}\")
	set(CERTFLEET_UNIT_DOCDIR \"${CMAKE_INSTALL_DOCDIR}\")
	set(CERTFLEET_UNIT_SYSCONFDIR \"${CMAKE_INSTALL_SYSCONFDIR}\")
	set(CERTFLEET_UNIT_UNITDIR \"${CERTFLEET_SYSTEMD_UNITDIR}\")
	include(\"${PROJECT_SOURCE_DIR}/cmake/InstallUnits.cmake\")
")
