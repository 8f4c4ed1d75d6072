FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv/sanctrack
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY workers ./workers
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && useradd --system --home /srv/sanctrack sanctrack \
    && mkdir -p /var/lib/sanctrack && chown sanctrack /var/lib/sanctrack
USER sanctrack
ENV SANCTRACK_DATA_DIR=/var/lib/sanctrack
EXPOSE 8000
CMD ["sanctrack", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-workers"]
