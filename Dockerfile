FROM python:3.11-slim-bookworm
# NUMBA_CACHE_DIR: numba caches the compiled similarity matcher where the app user can write.
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    NUMBA_CACHE_DIR=/app/var/numba-cache
WORKDIR /app
# PyPI's torch for Linux is a multi-GB CUDA build; pass PyTorch's CPU wheel index as
# TORCH_INDEX_URL (docker-compose build --build-arg TORCH_INDEX_URL=...) for a small image.
ARG TORCH_INDEX_URL=""
RUN if [ -n "$TORCH_INDEX_URL" ]; then pip install --no-cache-dir torch==2.13.0 --index-url "$TORCH_INDEX_URL"; fi
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN SECRET_KEY=collectstatic-only-key-not-used-at-runtime-0123456789abcdefghij python manage.py collectstatic --no-input
RUN useradd --create-home pairwise && mkdir -p /app/var && chown -R pairwise /app/var
# The image has no .git: the export manifests' code_version comes from here (else "unknown"). Last,
# so that a new version does not rebuild the dependency layers above.
ARG PAIRWISE_CODE_VERSION=""
ENV PAIRWISE_CODE_VERSION=$PAIRWISE_CODE_VERSION
USER pairwise
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--access-logfile", "-"]
