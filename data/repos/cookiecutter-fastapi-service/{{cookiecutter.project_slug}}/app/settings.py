from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="{{ cookiecutter.package_name.upper() }}_")

    env: str = "development"
{%- if cookiecutter.database != "none" %}
    database_url: str = "{{ 'postgresql+asyncpg://localhost/' ~ cookiecutter.package_name if cookiecutter.database == 'postgres' else 'sqlite+aiosqlite:///./app.db' }}"
{%- endif %}


settings = Settings()
