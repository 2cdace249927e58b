# Two commands do everything on a fresh Debian 12 machine: `make run` and `make test`.
.PHONY: run test install lint clean-var

VENV := .venv
STAMP := $(VENV)/.installed

$(STAMP): pyproject.toml scripts/install.sh scripts/install-telephony.sh scripts/install-voice.sh
	scripts/install.sh
	scripts/install-telephony.sh
	scripts/install-voice.sh
	touch $(STAMP)

install: $(STAMP)

run: install
	scripts/frontend.sh build
	scripts/run.sh

test: install
	scripts/test.sh

lint: install
	$(VENV)/bin/ruff check app tests bench
	$(VENV)/bin/mypy

clean-var:
	scripts/services.sh stop
	rm -rf var
