"""WHAM application factory: wires configuration, extensions, blueprints, CLI and errors."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from config import CONFIGS

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | type | None = None) -> Flask:
    """Build the app. `config` is a name from config.CONFIGS, a config class, or None (WHAM_ENV)."""
    if config is None:
        config = os.environ.get("WHAM_ENV", "development")
    config_class = CONFIGS[config] if isinstance(config, str) else config
    if hasattr(config_class, "validate"):
        config_class.validate()

    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)

    from wham import charts, database, errors, i18n, navigation, security
    from wham.extensions import cache, csrf, db, limiter, login_manager, mail, migrate

    database.configure_engine(app)
    db.init_app(app)
    database.keep_prepared_statements(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    mail.init_app(app)
    cache.init_app(app)
    i18n.init_app(app)
    charts.init_app(app)
    navigation.init_app(app)
    security.init_app(app)
    errors.init_app(app)

    from wham.accounts.routes import bp as accounts_bp
    from wham.admin.routes import bp as admin_bp
    from wham.family.routes import bp as family_bp
    from wham.health import bp as health_bp

    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(family_bp)
    app.register_blueprint(health_bp)

    from wham.groups.routes import bp as groups_bp

    app.register_blueprint(groups_bp)

    from wham.goals.routes import bp as goals_bp

    app.register_blueprint(goals_bp)

    from wham.checkins.routes import bp as checkins_bp

    app.register_blueprint(checkins_bp)

    from wham.sms.routes import bp as sms_bp

    app.register_blueprint(sms_bp)

    from wham import nudges

    nudges.init_app(app)

    from wham import cli, scheduler

    cli.init_app(app)
    scheduler.init_app(app)
    return app
