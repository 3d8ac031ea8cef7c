-- A user's public website, validated by @constraint(format: "PUBLIC_URL").
ALTER TABLE users ADD COLUMN website TEXT;
