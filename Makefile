# `make run` starts a living portal; `make test` runs the whole suite. Both install first.
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint bench migrate demo clean

$(STAMP): requirements.txt requirements-nodeps.txt
	@test -x $(PY) || { python=$$(scripts/find-python) && "$$python" -m venv $(VENV); }
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { echo "$(VENV) was made with an older" \
	  "Python; Python 3.12 or newer is needed (Django 6.1 needs it): make clean, then make again." >&2; exit 1; }
	$(PY) -m pip install --quiet --upgrade pip
	@echo "Installing the pinned requirements into $(VENV) (a minute or two the first time)..."
	$(PY) -m pip install --progress-bar on -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -r requirements-nodeps.txt
	@touch $(STAMP)

# axe-core, from the npm registry, for the accessibility browser tests (tests/e2e/test_a11y.py).
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
$(AXE):
	@if command -v npm >/dev/null; then npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@4.14.1; \
	  else echo "npm is missing: the accessibility browser tests need axe-core from it (they fail in CI without it)" >&2; fi

# The translation catalogs (gettext's msgfmt): each locale/ directory's .po compiled to its .mo.
MO := $(patsubst %.po,%.mo,$(shell find . -path ./$(VENV) -prune -o -name '*.po' -print))
%.mo: %.po
	@command -v msgfmt >/dev/null || { echo "msgfmt is missing: install gettext (apt-get install gettext)" >&2; exit 1; }
	msgfmt --check -o $@ $<

install: $(STAMP) $(AXE) $(MO)

migrate: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py loadpolicies
	$(PY) manage.py loaddemo

run: demo
	$(PY) manage.py setupschedule
	$(PY) manage.py makemaildirs
	@echo ""
	@echo "  Support portal: http://127.0.0.1:8000/   (staff admin: http://127.0.0.1:8000/admin/)"
	@echo "  Demo sign-ins:  customer / portal-demo   other / portal-demo   staff / portal-demo"
	@echo "  Email a case:   cp some.eml var/mail/alectrona/new/   (taken in within a minute; README, Email)"
	@echo ""
	$(VENV)/bin/honcho start -f Procfile

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Each bench exits non-zero when a goal it names is missed; `make bench` runs them all and names, at
# the end, those that missed.
BENCHES := clock tickets portal sweep reports mail render fanout
bench: install
	@failed=""; for b in $(BENCHES); do $(PY) bench/$$b.py || failed="$$failed $$b"; done; \
	  if [ -n "$$failed" ]; then echo "goals missed by:$$failed" >&2; exit 1; fi

clean:
	rm -rf $(VENV) var staticfiles
