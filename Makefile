# make unit | integration | coverage | isolation | test | clean  (the shared targets)
# make selftest                                                 (the toolkit's own tests)
include toolkit/make/toolkit.mk

.PHONY: selftest
selftest:  ## the toolkit's own test suite
	$(NOX) $(NOXFLAGS) -s tests $(_toolkit_posargs)
