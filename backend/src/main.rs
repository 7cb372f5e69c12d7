use clap::Parser;
use parley::{Application, Config};

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    dotenvy::dotenv().ok();
    let config = Config::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();

    let bind = config.bind;
    let app = Application::build(config).await?;
    println!("Parley listening on http://{}:{}", bind.ip(), app.port());
    app.run().await?;
    Ok(())
}
