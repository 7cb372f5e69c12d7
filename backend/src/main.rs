use clap::Parser;
use parley::config::{Cli, Command};
use parley::db::{self, Db};
use parley::Application;

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let Cli { command, config } = Cli::parse();
    parley::logging::init(config.log_format);

    match command.unwrap_or(Command::Serve) {
        Command::User(command) => parley::accounts::run(command, &config).await?,
        Command::Migrate => {
            // Not under a running server's feet (SQLite).
            let _lock = db::Lock::acquire(&config.database_url)?;
            let db = Db::connect(&config.database_url).await?;
            println!("{}: every migration is applied", db.backend_name());
        }
        Command::Serve => {
            let bind = config.bind;
            let app = Application::build(config).await?;
            println!("Parley listening on http://{}:{}", bind.ip(), app.port());
            app.run().await?;
        }
    }
    Ok(())
}
