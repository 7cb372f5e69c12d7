DROP TABLE node_users;
DROP TABLE nodes;
