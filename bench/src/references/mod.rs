//! Ceilings measured on the same machine in the same run, that the scenarios are
//! compared against.

pub mod bcrypt;
pub mod db;
