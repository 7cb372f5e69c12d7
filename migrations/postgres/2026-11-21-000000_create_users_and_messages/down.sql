DROP TABLE server_secrets;
DROP TABLE messages;
DROP TABLE users;
