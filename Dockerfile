FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Pango and fonts for the PDF dossier (WeasyPrint, Arabic script included); pg_dump for 'sanctrack db backup'.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
       fonts-noto-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*
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
