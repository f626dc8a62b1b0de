# monorepo-toolkit's Make targets: a thin front door to its nox sessions.
# Include it from a repository's Makefile with one line:
#
#   include $(shell toolkit makefile)
#
# NOX and NOXFLAGS may be set before the include or on the command line
# (make unit NOXFLAGS=-R); ARGS is passed on to pytest (make integration ARGS="-n 2").

NOX ?= nox
NOXFLAGS ?=
ARGS ?=
_toolkit_posargs = $(if $(strip $(ARGS)),-- $(ARGS))

.PHONY: unit integration coverage isolation test clean

unit:  ## unit layer of every package (hermetic, random order)
	$(NOX) $(NOXFLAGS) -s unit $(_toolkit_posargs)

integration:  ## integration layer of every package, against PostgreSQL
	$(NOX) $(NOXFLAGS) -s integration $(_toolkit_posargs)

coverage:  ## combine the layers and enforce each package's threshold
	$(NOX) $(NOXFLAGS) -s coverage

isolation:  ## run each package's suite in several orders, name order-dependent tests
	$(NOX) $(NOXFLAGS) -s isolation $(_toolkit_posargs)

test:  ## both layers, then coverage and the summary table
	$(NOX) $(NOXFLAGS) -s unit integration $(_toolkit_posargs)

clean:  ## remove reports and the package environments
	rm -rf reports .nox
