-- Scoring and the report read one quarter's answers. Joined through their random response ids,
-- that read costs a pass over every answer ever given (the table grows each quarter); with the
-- response's quarter and team on each answer (no new information: the response holds both) it
-- is one index range.
ALTER TABLE survey_answers ADD COLUMN quarter TEXT NOT NULL DEFAULT '',
                           ADD COLUMN team TEXT NOT NULL DEFAULT '';
UPDATE survey_answers a SET quarter = r.quarter, team = r.team
    FROM survey_responses r WHERE r.id = a.response_id;
ALTER TABLE survey_answers ALTER COLUMN quarter DROP DEFAULT, ALTER COLUMN team DROP DEFAULT;
CREATE INDEX survey_answers_quarter ON survey_answers (quarter, question);

-- Invites counted per quarter and team (response rates) from the index alone.
CREATE INDEX survey_invites_quarter ON survey_invites (quarter, team);
