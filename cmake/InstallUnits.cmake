# InstallUnits.cmake -- install-time step of cmake/Install.cmake: renders deploy/systemd/*.service.in with the install's own prefix and installs them.
# Runs inside cmake_install.cmake, where CMAKE_INSTALL_PREFIX is the prefix
# of this install (--prefix) and file(INSTALL) honours DESTDIR. Placeholders:
# @BINDIR@, @DOCDIR@, @ENVDIR@ (absolute paths).

# certfleet_unit_abs(OUT DIR): DIR made absolute under the install prefix
function(certfleet_unit_abs out dir)
	if(IS_ABSOLUTE "${dir}")
		set(${out} "${dir}" PARENT_SCOPE)
	else()
		set(${out} "${CMAKE_INSTALL_PREFIX}/${dir}" PARENT_SCOPE)
	endif()
endfunction()

certfleet_unit_abs(BINDIR "${CERTFLEET_UNIT_BINDIR}")
certfleet_unit_abs(DOCDIR "${CERTFLEET_UNIT_DOCDIR}")
certfleet_unit_abs(unitdir "${CERTFLEET_UNIT_UNITDIR}")
# GNUInstallDirs: SYSCONFDIR of the prefix /usr is /etc
if(NOT IS_ABSOLUTE "${CERTFLEET_UNIT_SYSCONFDIR}" AND
    "${CMAKE_INSTALL_PREFIX}" MATCHES "^/usr/?$")
	set(sysconfdir "/${CERTFLEET_UNIT_SYSCONFDIR}")
else()
	certfleet_unit_abs(sysconfdir "${CERTFLEET_UNIT_SYSCONFDIR}")
endif()
set(ENVDIR "${sysconfdir}/certfleet")

set(rendered "")
foreach(template IN LISTS CERTFLEET_UNIT_TEMPLATES)
	get_filename_component(name "${template}" NAME)
	string(REGEX REPLACE "\\.in$" "" name "${name}")
	configure_file("${template}" "${CERTFLEET_UNIT_WORKDIR}/${name}" @ONLY)
	list(APPEND rendered "${CERTFLEET_UNIT_WORKDIR}/${name}")
endforeach()
file(INSTALL DESTINATION "${unitdir}" TYPE FILE FILES ${rendered})
