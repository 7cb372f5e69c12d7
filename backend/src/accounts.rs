//! `parley user add|passwd <name>`: the operator's way to create accounts and set
//! passwords, for a server whose `REGISTRATION` is `closed`.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};

use crate::auth::Passwords;
use crate::config::{Config, UserCommand};
use crate::db::{self, Db};
use crate::domain::{Password, Username};

/// Runs `command`; an `Err` is a refusal or failure to report (exit status 1).
pub async fn run(command: UserCommand, config: &Config) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { name } => {
            let username = Username::parse(&name).map_err(refusal)?;
            let db = Db::connect(&config.database_url).await?;
            // Checked before asking for a password, so a typo costs no typing.
            if db::users::find_by_username(&db, username.as_str())
                .await?
                .is_some()
            {
                bail!("the username `{name}` is already taken");
            }
            let password_hash = hash(config, read_password(&name)?).await?;
            let user = db::users::insert(&db, &username, &password_hash)
                .await?
                .with_context(|| format!("the username `{name}` is already taken"))?;
            println!("created user {} ({})", user.username, user.id);
        }
        UserCommand::Passwd { name } => {
            let db = Db::connect(&config.database_url).await?;
            if db::users::find_by_username(&db, &name).await?.is_none() {
                bail!("there is no user `{name}`");
            }
            let password_hash = hash(config, read_password(&name)?).await?;
            let user = db::users::set_password_hash(&db, &name, &password_hash)
                .await?
                .with_context(|| format!("there is no user `{name}`"))?;
            println!(
                "password changed for {} ({}); every session of theirs is signed out",
                user.username, user.id
            );
        }
    }
    Ok(())
}

/// One line from standard input when it is not a terminal (a pipe or a file);
/// else asked for twice, without echo.
fn read_password(name: &str) -> anyhow::Result<Password> {
    let stdin = std::io::stdin();
    let raw = if stdin.is_terminal() {
        let first = rpassword::prompt_password(format!("Password for {name}: "))
            .context("could not read the password")?;
        Password::parse(&first).map_err(refusal)?;
        let again = rpassword::prompt_password("Again: ").context("could not read the password")?;
        if again != first {
            bail!("the passwords do not match");
        }
        first
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("could not read the password from standard input")?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        line.strip_suffix('\r').unwrap_or(line).to_owned()
    };
    Password::parse(&raw).map_err(refusal)
}

async fn hash(config: &Config, password: Password) -> anyhow::Result<String> {
    let passwords = Passwords::start(config.bcrypt_cost)?;
    passwords.hash(password).await.map_err(refusal)
}

/// A refusal's message, as the API would word it.
fn refusal(error: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{error}")
}
