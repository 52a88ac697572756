-- The table the docker-compose cluster captures; edit it with: psql -h localhost -p 5433 -U postgres app
CREATE TABLE profiles (id integer PRIMARY KEY, name text, email text, ltv numeric(12, 3));
INSERT INTO profiles
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', round((random() * 5000)::numeric, 3)
FROM generate_series(1, 1000) AS i;
UPDATE profiles SET name = 'Jane Doe', email = 'jane.doe@example.com', ltv = 1492.184 WHERE id = 1;
