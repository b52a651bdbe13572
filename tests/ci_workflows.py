"""Realistic CI definitions for the doctor tests, with the lines their checks sit on."""

from __future__ import annotations

# Shaped like the motivating repository's workflow: job `backend`, working directory from
# defaults.run, a Python matrix, and the four checks as separate steps.
MOTIVATING_WORKFLOW = """\
name: CI

on:
  push:
    branches: [main]
  pull_request:

jobs:
  changes:
    runs-on: ubuntu-latest
    outputs:
      backend: ${{ steps.filter.outputs.backend }}
    steps:
      - uses: actions/checkout@v4
      - uses: dorny/paths-filter@v3
        id: filter
        with:
          filters: |
            backend:
              - 'backend/**'

  backend:
    needs: changes
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      matrix:
        python-version: ["3.11", "3.12"]
    defaults:
      run:
        working-directory: backend
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: ${{ matrix.python-version }}
      - name: Install dependencies
        run: |
          python -m pip install --upgrade pip
          pip install -e ".[dev]"
      - name: Ruff lint
        run: ruff check .
      - name: Ruff format
        run: ruff format --check .
      - name: Type check
        run: mypy tunix_rt_backend
      - name: Tests
        run: pytest -q --cov=tunix_rt_backend --cov-report=term-missing

  e2e:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npx playwright test
        working-directory: e2e
"""
MOTIVATING_LINES = {"ruff-check": 42, "ruff-format": 44, "mypy": 46, "pytest": 48}

UV_WORKFLOW = """\
name: lint-and-test
on: [push]
jobs:
  checks:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: astral-sh/setup-uv@v5
      - name: Lint
        working-directory: backend
        run: |
          uv sync --frozen --all-extras
          uv run --frozen ruff check tunix_rt_backend tests
          uv run --frozen ruff format --check .  # formatting
      - name: Types
        working-directory: backend
        run: uv run --with mypy==1.13.0 python -m mypy --strict tunix_rt_backend
      - name: Tests
        run: >-
          uv run --directory backend
          pytest -m "not slow" -n auto
"""

POETRY_WORKFLOW = """\
name: ci
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ['3.10', '3.11']
    steps:
      - uses: actions/checkout@v4
      - run: pipx install poetry
      - run: |
          cd backend
          poetry install --with dev
          poetry run mypy tunix_rt_backend \\
            --config-file pyproject.toml
          poetry run pytest --cov=tunix_rt_backend --cov-fail-under=90; poetry run ruff check
      - run: tox -e lint,py311 && nox -s typecheck tests
"""

GITLAB_CI = """\
stages: [lint, test]

default:
  image: python:3.12-slim
  before_script:
    - cd backend
    - pip install -e ".[dev]" "ruff==0.4.10"

.lint-template:
  stage: lint
  script:
    - ruff check .
    - ruff format --check .

lint:
  extends: .lint-template

.unused-template:
  script:
    - mypy never_runs

types:
  stage: lint
  script:
    - |
      echo "type checking"
      python -m mypy tunix_rt_backend
  after_script:
    - echo done

test:
  stage: test
  image: python:3.11
  before_script:
    - pip install -e backend
  script:
    - cd backend && hatch run test:pytest -x tests/
"""
