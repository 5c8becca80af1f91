# Two entry points (see README): `make bench` and `make test`. Both set up .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup bench test clean

setup: $(STAMP)

# torch/torchvision are pinned to the builds this project is tested with; basicsr is a source-only
# package whose build imports torch, so it is built without isolation after torch is in the venv.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel
	$(BIN)/pip install -q torch==2.14.1 torchvision==0.29.1
	$(BIN)/pip install -q --no-build-isolation basicsr==1.4.2
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Main job: score the embedded-default demo (scikit-image image, skimage-8 bank) on CPU.
bench: $(STAMP)
	$(BIN)/cem-bench demo --out out/demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
