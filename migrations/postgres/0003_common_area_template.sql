-- The checklist a project runs for its common areas (公区查验); null = the shipped 公区 template.
alter table projects add column common_template_id uuid references checklist_templates(id);
