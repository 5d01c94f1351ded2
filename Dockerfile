# syntax=docker/dockerfile:1
# Stage 1: build wheels for the dependencies, then for the project, so a source change does
# not rebuild the dependency layer.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
ENV PATH=/venv/bin:$PATH
COPY pyproject.toml README.md constraints.txt ./
# Install only the dependencies first (a stub package satisfies the build backend).
RUN mkdir -p bot cogs && touch bot/__init__.py cogs/__init__.py \
    && pip install --no-cache-dir -c constraints.txt . \
    && pip uninstall -y mjbot
COPY bot ./bot
COPY cogs ./cogs
RUN pip install --no-cache-dir --no-deps .

# Stage 2: the runtime image: no compilers, no pip installs at run time, not root.
FROM python:3.11-slim
ENV PATH=/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_PATH=/app/data/mjbot.db
RUN useradd --create-home --uid 10001 mjbot \
    && mkdir -p /app/data && chown mjbot:mjbot /app/data
COPY --from=build /venv /venv
WORKDIR /app
USER mjbot
VOLUME /app/data
EXPOSE 8080
CMD ["python", "-m", "bot"]
